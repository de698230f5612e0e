/** Links an alert carries: the account on the explorer, and the CloudWatch dashboard when deployed. */
import type { AlertLink } from "../../../lambda-alerts/src/alertEvent.ts";
import type { Network } from "../config/config.ts";

const EXPLORER: Record<Network, string> = {
  mainnet: "https://app.hyperliquid.xyz/explorer/address/",
  testnet: "https://app.hyperliquid-testnet.xyz/explorer/address/",
};

export interface AlertLinks {
  account(address: string): AlertLink[];
  monitor(): AlertLink[];
}

export function alertLinks(network: Network, dashboardUrl: string | null): AlertLinks {
  const dashboard: AlertLink[] = dashboardUrl ? [{ label: "Dashboard", url: dashboardUrl }] : [];
  return {
    account: (address) => [{ label: "Explorer", url: `${EXPLORER[network]}${address}` }, ...dashboard],
    monitor: () => dashboard,
  };
}
