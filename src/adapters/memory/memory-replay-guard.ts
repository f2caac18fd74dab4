import type { ReplayGuard } from '../../ports/replay-guard.port.ts';

/** ReplayGuard in process memory; expired ids are dropped on every claim, so it stays small. */
export class MemoryReplayGuard implements ReplayGuard {
  readonly #seen = new Map<string, number>();
  readonly #now: () => number;

  constructor(deps: { now?: () => number } = {}) {
    this.#now = deps.now ?? Date.now;
  }

  async isClaimed(id: string): Promise<boolean> {
    return (this.#seen.get(id) ?? -Infinity) > this.#now();
  }

  async claim(id: string, expiresAt: number): Promise<boolean> {
    const now = this.#now();
    for (const [seenId, until] of this.#seen) if (until <= now) this.#seen.delete(seenId);
    if (this.#seen.has(id)) return false;
    this.#seen.set(id, expiresAt);
    return true;
  }
}
