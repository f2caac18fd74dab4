/**
 * Where the process is in its life, for what must change once shutdown begins: readiness answers
 * 503 (the load balancer stops sending), and every response closes its connection, so keep-alive
 * clients do not hold the drain open.
 */
export class Lifecycle {
  #draining = false;

  get draining(): boolean {
    return this.#draining;
  }

  startDraining(): void {
    this.#draining = true;
  }
}
