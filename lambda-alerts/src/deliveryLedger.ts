/**
 * Which channels already accepted which alert, so a retried invocation (or a second delivery of the same
 * SNS message, which SNS allows) never posts an alert twice to a channel.
 *
 * Shaped like an idempotency persistence layer: a record per (alert key, channel) is claimed `in_progress`
 * with a lease before the post, marked `sent` after it, and removed if the post fails so a retry can claim
 * it again. A lease that ran out (the function died mid-post) can be claimed again; that is the one case
 * where a channel may see an alert twice, and it needs a crash between the service's answer and our write.
 */
export type ClaimOutcome = "claimed" | "already_sent" | "in_progress_elsewhere";

export interface DeliveryLedger {
  claim(id: string, leaseUntil: number, now: number): Promise<ClaimOutcome>;
  markSent(id: string, now: number): Promise<void>;
  release(id: string): Promise<void>;
}

/** In-process ledger: for local runs and for the monitor's own direct delivery. */
export class MemoryDeliveryLedger implements DeliveryLedger {
  readonly #records = new Map<string, { status: "in_progress" | "sent"; leaseUntil: number }>();
  readonly #maxRecords: number;

  constructor(maxRecords = 10_000) {
    this.#maxRecords = maxRecords;
  }

  async claim(id: string, leaseUntil: number, now: number): Promise<ClaimOutcome> {
    const record = this.#records.get(id);
    if (record?.status === "sent") return "already_sent";
    if (record && record.leaseUntil > now) return "in_progress_elsewhere";
    this.#records.set(id, { status: "in_progress", leaseUntil });
    // Oldest first out: a Map iterates in insertion order.
    if (this.#records.size > this.#maxRecords) this.#records.delete(this.#records.keys().next().value!);
    return "claimed";
  }

  async markSent(id: string): Promise<void> {
    this.#records.set(id, { status: "sent", leaseUntil: 0 });
  }

  async release(id: string): Promise<void> {
    if (this.#records.get(id)?.status === "in_progress") this.#records.delete(id);
  }
}
