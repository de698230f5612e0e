/**
 * The Hyperliquid payload shapes the domain consumes, as they are after validation at the edge
 * (monitor/src/hyperliquid/schemas.ts validates into these). Decimal values stay strings.
 */

export interface WireFill {
  coin: string;
  px: string;
  sz: string;
  side: "B" | "A";
  time: number;
  startPosition: string;
  dir: string;
  closedPnl: string;
  hash: string;
  oid: number;
  crossed: boolean;
  fee: string;
  /** Absent on legacy (2023) fills; 0 on spot dust conversions. */
  tid?: number | undefined;
  feeToken?: string | undefined;
  builderFee?: string | undefined;
  cloid?: string | null | undefined;
  twapId?: number | null | undefined;
  liquidation?: { liquidatedUser?: string | undefined; markPx: string; method: string } | null | undefined;
}

export interface WireTrade {
  coin: string;
  side: "B" | "A";
  px: string;
  sz: string;
  time: number;
  hash: string;
  tid: number;
  users?: [string, string] | string[] | undefined;
}

export interface WireOrder {
  order: {
    coin: string;
    side: "B" | "A";
    limitPx: string;
    sz: string;
    oid: number;
    timestamp: number;
    origSz?: string | undefined;
    cloid?: string | null | undefined;
  };
  status: string;
  statusTimestamp: number;
}

export interface WireMarginSummary {
  accountValue: string;
  totalNtlPos: string;
  totalRawUsd: string;
  totalMarginUsed: string;
}

export interface WireAssetPosition {
  type: string;
  position: {
    coin: string;
    szi: string;
    leverage: { type: string; value: number | string; rawUsd?: string | undefined };
    entryPx: string | null;
    positionValue: string;
    unrealizedPnl: string;
    returnOnEquity?: string | undefined;
    liquidationPx: string | null;
    marginUsed: string;
    maxLeverage?: number | string | undefined;
  };
}

export interface WireClearinghouseState {
  marginSummary: WireMarginSummary;
  crossMarginSummary: WireMarginSummary;
  /** Absent on legacy (2023) payloads. */
  crossMaintenanceMarginUsed?: string | undefined;
  withdrawable: string;
  assetPositions: WireAssetPosition[];
  time?: number | undefined;
}
