/** Stored records for the commands' tests, in the shapes the monitor writes (monitor/src/domain/types.ts). */
import type {
  AccountSnapshot,
  ClosedPosition,
  OrderState,
  PositionState,
} from "../../monitor/src/domain/types.ts";

export const ACCOUNT = "0x70997970c51812dc3a010c7d01b50e0d17dc79c8";
export const OTHER_ACCOUNT = "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc";
export const T0 = 1_789_407_000_000;

export function positionState(overrides: Partial<PositionState> = {}): PositionState {
  return {
    account: ACCOUNT,
    coin: "BTC",
    isOpen: true,
    side: "long",
    size: "0.00016",
    entryPx: "78751.0",
    openNotional: "12.60016",
    openSize: "0.00016",
    closeNotional: "0",
    closeSize: "0",
    maxSize: "0.00016",
    closedPnl: "0",
    fees: "0.012639",
    fillCount: 1,
    openedAt: T0 - 60_000,
    openFillId: "t:1",
    liquidated: false,
    partialHistory: false,
    lastFillTime: T0 - 60_000,
    lastFillIds: ["t:1"],
    updatedAt: T0 - 60_000,
    ...overrides,
  };
}

export function closedPosition(overrides: Partial<ClosedPosition> = {}): ClosedPosition {
  const coin = overrides.coin ?? "BTC";
  const closedAt = overrides.closedAt ?? T0;
  return {
    account: ACCOUNT,
    coin,
    positionId: `${coin}#${closedAt - 60_000}#t:${closedAt}`,
    side: "long",
    maxSize: "0.00016",
    closedSize: "0.00016",
    entryPx: "78751.0",
    exitPx: "80000.0",
    openedAt: closedAt - 60_000,
    closedAt,
    durationMs: 60_000,
    fees: "0.025278",
    closedPnl: "0.55",
    realizedPnl: "0.524722",
    fillCount: 2,
    liquidated: false,
    partialHistory: false,
    ...overrides,
  };
}

export function order(overrides: Partial<OrderState> = {}): OrderState {
  return {
    account: ACCOUNT,
    oid: 57118842019,
    coin: "BTC",
    side: "B",
    limitPx: "31795.0",
    sz: "0.00037",
    origSz: "0.00037",
    status: "open",
    statusTimestamp: T0 - 1_000,
    timestamp: T0 - 1_000,
    cloid: null,
    isTerminal: false,
    ...overrides,
  };
}

export function snapshot(time: number, accountValue: string, account = ACCOUNT): AccountSnapshot {
  return {
    account,
    time,
    accountValue,
    totalMarginUsed: "10.68165",
    totalNtlPos: "10.68165",
    withdrawable: "20.255372",
    totalUnrealizedPnl: "0.99324",
    leverage: "0.34527079",
    crossMarginRatio: null,
    healthScore: "100",
    positionsCount: 1,
    minLiquidationDistance: "0.120000",
    positions: [
      {
        coin: "BTC",
        size: "0.00016",
        entryPx: "78751.0",
        markPx: "80000.0",
        liquidationPx: "70400.0",
        liquidationDistance: "0.120000",
        unrealizedPnl: "0.19984",
        marginUsed: "10.68165",
        positionValue: "12.8",
        leverageType: "cross",
        leverage: "20",
      },
    ],
  };
}
