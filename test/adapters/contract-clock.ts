/**
 * The fake clock each contract suite hands to the store under test, so expiry is tested by
 * moving time instead of sleeping.
 */
export class ContractClock {
  time = Date.UTC(2030, 0, 1);
  readonly now = (): number => this.time;

  advance(ms: number): void {
    this.time += ms;
  }
}
