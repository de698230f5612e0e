/**
 * Domain types shared by the pure core, the adapters and storage.
 *
 * Money and quantities are decimal strings exactly as the API sends them (or exact results of decimal
 * arithmetic on them); they are never JavaScript numbers. Times are epoch milliseconds. Account addresses
 * are always lower-case.
 */

export type Side = "B" | "A";

/** A fill of one of the monitored accounts, normalised from any source (WS snapshot, WS live, REST). */
export interface Fill {
  /** Lower-case account address. */
  account: string;
  /** Idempotency key within the account: `t:<tid>`, or `c:<digest>` of the composite fallback key. */
  fillId: string;
  /** Trade id; null when the API sent none (legacy fills) or 0 (dust conversions). */
  tid: number | null;
  time: number;
  coin: string;
  side: Side;
  px: string;
  sz: string;
  /** Signed position before this fill, as the API reports it. */
  startPosition: string;
  dir: string;
  closedPnl: string;
  /** Total fee in `feeToken`; negative is a rebate; already includes any builder fee. */
  fee: string;
  feeToken: string | null;
  builderFee: string | null;
  oid: number;
  cloid: string | null;
  hash: string;
  crossed: boolean;
  twapId: number | null;
  liquidation: FillLiquidation | null;
  /** True for perpetual fills (these move positions); false for spot fills and spot dust conversions. */
  isPerp: boolean;
}

export interface FillLiquidation {
  liquidatedUser: string | null;
  markPx: string;
  method: string;
}

/** Public trade from the `trades` channel; `side` is the aggressor's side. */
export interface Trade {
  coin: string;
  side: Side;
  px: string;
  sz: string;
  time: number;
  tid: number;
  hash: string;
}

export type PositionSide = "long" | "short";

/**
 * The running state of one (account, coin) perp position, as the state machine keeps it.
 * A flat position (size "0") with `isOpen: false` is kept so that the last-applied watermark survives.
 */
export interface PositionState {
  account: string;
  coin: string;
  isOpen: boolean;
  side: PositionSide | null;
  /** Signed size: positive long, negative short, "0" flat. */
  size: string;
  /** Average entry price of the current position (volume-weighted over its opening fills). */
  entryPx: string | null;
  /** Σ px·sz of the opening parts of fills of the current position (exact). */
  openNotional: string;
  /** Σ sz of the opening parts (exact). */
  openSize: string;
  /** Σ px·sz and Σ sz of the closing parts so far (exact). */
  closeNotional: string;
  closeSize: string;
  /** Largest absolute size the position reached. */
  maxSize: string;
  /** Σ closedPnl and Σ fee over the fills (or fill parts) of the current position. */
  closedPnl: string;
  fees: string;
  fillCount: number;
  openedAt: number | null;
  /** Id of the fill that opened the current position (with openedAt, identifies it). */
  openFillId: string | null;
  liquidated: boolean;
  /**
   * True when the first fill seen for this position had a non-zero startPosition: the position was
   * opened before the reachable history, so entry and PnL cover only what we saw.
   */
  partialHistory: boolean;
  /** Watermark for idempotent application: time of the last applied fill and the ids applied at it. */
  lastFillTime: number;
  lastFillIds: string[];
  updatedAt: number;
}

/** A finished position: written once, keyed by (account, positionId). */
export interface ClosedPosition {
  account: string;
  coin: string;
  /** `<coin>#<openedAt>#<openFillId>`: deterministic, so re-applying the same fills writes the same item. */
  positionId: string;
  side: PositionSide;
  /** Largest absolute size reached, and the total closed size. */
  maxSize: string;
  closedSize: string;
  entryPx: string;
  exitPx: string;
  openedAt: number;
  closedAt: number;
  durationMs: number;
  fees: string;
  closedPnl: string;
  /** closedPnl − fees, exact. */
  realizedPnl: string;
  fillCount: number;
  liquidated: boolean;
  partialHistory: boolean;
}

export type PositionEventKind = "opened" | "increased" | "reduced" | "closed" | "flipped";

export interface PositionEvent {
  kind: PositionEventKind;
  account: string;
  coin: string;
  time: number;
  fillId: string;
  /** Position after the fill. */
  position: PositionState;
  /** Present for `closed` and `flipped`: the position that ended. */
  closed?: ClosedPosition;
  liquidation: boolean;
}

export interface OrderState {
  account: string;
  oid: number;
  coin: string;
  side: Side;
  limitPx: string;
  /** Remaining size. */
  sz: string;
  origSz: string;
  status: string;
  statusTimestamp: number;
  /** Creation time. */
  timestamp: number;
  cloid: string | null;
  /** Anything but open/triggered is terminal. */
  isTerminal: boolean;
}

export interface PositionHealth {
  coin: string;
  size: string;
  entryPx: string | null;
  markPx: string | null;
  liquidationPx: string | null;
  /** |markPx − liquidationPx| / markPx; null when there is no liquidation price. */
  liquidationDistance: string | null;
  unrealizedPnl: string;
  marginUsed: string;
  positionValue: string;
  leverageType: string;
  leverage: string;
}

export interface AccountSnapshot {
  account: string;
  time: number;
  accountValue: string;
  totalMarginUsed: string;
  totalNtlPos: string;
  withdrawable: string;
  totalUnrealizedPnl: string;
  /** totalNtlPos / accountValue; null when the account value is 0. */
  leverage: string | null;
  /**
   * crossMaintenanceMarginUsed / crossMarginSummary.accountValue; ≥ 1 is liquidatable. 1 when the cross
   * account value is ≤ 0 with maintenance margin in use (at or beyond liquidation; the quotient means
   * nothing there). Standard-mode figure: see domain/health.ts for unified and portfolio-margin accounts.
   */
  crossMarginRatio: string | null;
  /** 100 · (1 − crossMarginRatio), clamped to [0, 100]; 100 with no margin in use. */
  healthScore: string;
  positionsCount: number;
  /** Smallest liquidation distance over the positions, or null. */
  minLiquidationDistance: string | null;
  positions: PositionHealth[];
  /** The account's feed when the snapshot was taken (what /status reads); absent in older snapshots. */
  feed?: SnapshotFeed;
}

export interface SnapshotFeed {
  /** The account's socket was live: open, subscriptions acknowledged, a data frame within the ready age. */
  live: boolean;
  /** Age of its newest data frame then (null: none on the current socket). */
  lastDataAgeMs: number | null;
  /** package.json's version of the monitor that wrote it. */
  monitorVersion: string;
}

/** One minute of CVD for one coin. */
export interface CvdBucket {
  coin: string;
  /** Minute start, ms. */
  bucket: number;
  buyVolume: string;
  sellVolume: string;
  /** buyVolume − sellVolume. */
  delta: string;
  /** Cumulative delta at the end of this bucket since the series began. */
  cvd: string;
  tradeCount: number;
  /** True when trades may be missing in or before this bucket (stream gap, e.g. across a reconnect). */
  gap: boolean;
  /** Dedup watermark: the newest trade time counted in this coin's series and the tids counted at it. */
  lastTradeTime: number;
  lastTids: number[];
}

/** Where the fill backfill of an account resumes; advanced only over contiguous, stored history. */
export interface FillCursor {
  account: string;
  /** Time of the newest fill that is stored with nothing missing before it. */
  time: number;
  /** Fill ids at exactly `time` (bounds are inclusive). */
  fillIds: string[];
  updatedAt: number;
}
