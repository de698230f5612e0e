/**
 * Which coins a dex lists, from its `meta` universe, and what to tell an operator who named one it does
 * not list. Pure: the universe is fetched elsewhere.
 */

/** The dex of a coin name: "" for the default dex, `xyz` for a HIP-3 coin `xyz:COIN`. */
export function dexOf(coin: string): string {
  const separator = coin.indexOf(":");
  return separator < 0 ? "" : coin.slice(0, separator);
}

export class ListedCoins {
  readonly dex: string;
  readonly #active = new Set<string>();
  readonly #delisted = new Set<string>();

  /**
   * `universe` as `meta` (with `dex` for a HIP-3 dex) lists it. A HIP-3 dex's names are taken as
   * `dex:COIN`, whether the answer spells them with the prefix or without.
   */
  constructor(dex: string, universe: readonly { name: string; isDelisted?: boolean | undefined }[]) {
    this.dex = dex;
    for (const asset of universe) {
      const name = dex === "" || asset.name.startsWith(`${dex}:`) ? asset.name : `${dex}:${asset.name}`;
      (asset.isDelisted ? this.#delisted : this.#active).add(name);
    }
  }

  /** Every listed coin that is not delisted, in the listing's order (the exchange's asset order). */
  get active(): string[] {
    return [...this.#active];
  }

  isActive(coin: string): boolean {
    return this.#active.has(coin);
  }

  /** Null when the coin is listed and not delisted; else why not, with the nearest names if any. */
  problem(coin: string): string | null {
    if (this.#active.has(coin)) return null;
    const where = this.dex === "" ? "Hyperliquid" : `the ${this.dex} dex`;
    if (this.#delisted.has(coin)) return `"${coin}", which ${where} has delisted: remove it`;
    const near = nearestNames(coin, [...this.#active]);
    const hint =
      near.length > 0
        ? `did you mean ${near.join(" or ")}? (coin names are case-sensitive)`
        : `use a name from {"type":"meta"${this.dex === "" ? "" : `,"dex":"${this.dex}"`}}`;
    return `"${coin}", which ${where} does not list: ${hint}`;
  }
}

/** Up to three listed names close to `wanted`: same letters in another case first, then small misspellings. */
export function nearestNames(wanted: string, names: readonly string[]): string[] {
  const lower = wanted.toLowerCase();
  const sameLetters = names.filter((name) => name.toLowerCase() === lower);
  if (sameLetters.length > 0) return sameLetters.slice(0, 3);
  const maxDistance = lower.length <= 3 ? 1 : 2;
  return names
    .map((name) => ({ name, distance: editDistance(lower, name.toLowerCase()) }))
    .filter((candidate) => candidate.distance <= maxDistance)
    .sort((a, b) => a.distance - b.distance || a.name.localeCompare(b.name))
    .slice(0, 3)
    .map((candidate) => candidate.name);
}

/** Levenshtein distance (coin names are short: a full table is cheap). */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        previous[j]! + 1,
        current[j - 1]! + 1,
        previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length]!;
}
