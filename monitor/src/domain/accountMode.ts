/**
 * Account abstraction modes (DOCS trading/account-abstraction-modes) and what they mean for the health
 * figures. The monitor computes the standard-mode cross margin ratio from the perp clearinghouse state
 * (domain/health.ts). For unified-account and portfolio-margin users the docs say "all balances and holds
 * [are] in the spot clearinghouse state. Individual perp dex user states are not meaningful": their ratio
 * is another formula (unified: max over collateral tokens of Σ crossMaintenanceMarginUsed / (spot total −
 * Σ isolated marginUsed), across every perp dex; portfolio margin: portfolio maintenance requirement over
 * portfolio liquidation value with borrow oracle prices, caps and LTVs, liquidatable above 0.95), which the
 * monitor does not compute. For those accounts the stored ratio and health are standard-mode figures and
 * the margin-ratio alert is not raised from them; per-position liquidation prices come from the exchange
 * and keep their alerts.
 */

/**
 * The modes whose perp clearinghouse state is not meaningful (the docs name these two). "disabled" and
 * "default" are standard margin; "dexAbstraction" keeps USDC in the perp balance, so the default dex's
 * state holds. A mode not listed here is taken as standard: the ratio is then at worst what it always was.
 */
const NON_STANDARD_MODES = new Set(["unifiedAccount", "portfolioMargin"]);

/** True when the mode (as `userAbstraction` answers it) makes the standard cross margin ratio meaningless. */
export function marginRatioUnsupported(mode: string | null): boolean {
  return mode !== null && NON_STANDARD_MODES.has(mode);
}
