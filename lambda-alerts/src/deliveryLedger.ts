/**
 * Which channels already accepted which alert, so a retried invocation (or a second delivery of the same
 * SNS message, which SNS allows) never posts an alert twice to a channel.
 *
 * Shaped like an idempotency persistence layer: a record per (alert key, channel) is claimed `in_progress`
 * with a lease before the post, marked `sent` after it, and removed if the post fails so a retry can claim
 * it again. A channel that refused the alert for good (a deleted webhook, a bot removed from the chat) is
 * marked `failed`: a retry does not ask it again, so a broken channel cannot keep an invocation failing.
 * A lease that ran out (the function died mid-post, or the ledger could not be written after the post) can
 * be claimed again; that is the one case where a channel may see an alert twice.
 */
export type ClaimOutcome = "claimed" | "already_sent" | "already_failed" | "in_progress_elsewhere";

export interface DeliveryLedger {
  claim(id: string, leaseUntil: number, now: number): Promise<ClaimOutcome>;
  markSent(id: string, now: number): Promise<void>;
  /** The channel refused this alert for good (`reason` is the channel's secret-free answer). */
  markFailed(id: string, now: number, reason: string): Promise<void>;
  release(id: string): Promise<void>;
}

type RecordStatus = "in_progress" | "sent" | "failed";

/** In-process ledger: for local runs and for the monitor's own direct delivery. */
export class MemoryDeliveryLedger implements DeliveryLedger {
  readonly #records = new Map<string, { status: RecordStatus; leaseUntil: number }>();
  readonly #maxRecords: number;

  constructor(maxRecords = 10_000) {
    this.#maxRecords = maxRecords;
  }

  async claim(id: string, leaseUntil: number, now: number): Promise<ClaimOutcome> {
    const record = this.#records.get(id);
    if (record?.status === "sent") return "already_sent";
    if (record?.status === "failed") return "already_failed";
    if (record && record.leaseUntil > now) return "in_progress_elsewhere";
    this.#records.set(id, { status: "in_progress", leaseUntil });
    // Oldest first out: a Map iterates in insertion order.
    if (this.#records.size > this.#maxRecords) this.#records.delete(this.#records.keys().next().value!);
    return "claimed";
  }

  async markSent(id: string): Promise<void> {
    this.#records.set(id, { status: "sent", leaseUntil: 0 });
  }

  async markFailed(id: string): Promise<void> {
    this.#records.set(id, { status: "failed", leaseUntil: 0 });
  }

  async release(id: string): Promise<void> {
    if (this.#records.get(id)?.status === "in_progress") this.#records.delete(id);
  }
}
