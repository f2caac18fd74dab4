import { isIPv4, isIPv6 } from 'node:net';

/** Front-channel requests whose `sid` matched no session that one client may make per window. */
const MISSES_PER_WINDOW = 30;
const WINDOW_MS = 60_000;
/** Clients tracked at most; beyond, the oldest are forgotten (memory stays bounded under a flood). */
const MAX_ADDRESSES = 10_000;
/** An IPv6 address with a zone is under 64 characters; a longer "address" came from a forged header. */
const MAX_ADDRESS_LENGTH = 64;

/**
 * Rate limit for the front-channel Logout URL, which must stay an unauthenticated GET: a client
 * that keeps sending `sid`s matching no session (guessing, or a flood) gets a 429 once it has
 * spent its budget. Only misses count and only misses are refused: a `sid` that ends a session is
 * always honoured, so users behind one shared NAT address are still signed out. A `sid` journaled
 * during a store outage counts as a miss (nobody could check it), and a client over its budget
 * may not journal: the journal is bounded, and strangers must not fill it (the journal also caps
 * what all clients together may add, see LocalSignOutJournal).
 *
 * A client is an IPv4 address, or an IPv6 /64: one subscriber, host or VM is routinely given a
 * whole /64 (RFC 6177, SLAAC privacy addresses), so keyed by address it would have 2^64 budgets.
 */
export class UnknownSidLimiter {
  readonly #now: () => number;
  readonly #misses = new Map<string, { windowStart: number; count: number }>();

  constructor(deps: { now?: () => number } = {}) {
    this.#now = deps.now ?? Date.now;
  }

  /** Whether `address` has spent its budget in the current window (nothing is recorded). */
  exhausted(address: string): boolean {
    const entry = this.#misses.get(clientOf(address));
    return entry !== undefined && this.#now() - entry.windowStart < WINDOW_MS && entry.count >= MISSES_PER_WINDOW;
  }

  /** Records a miss from `address`; `false` when it is over its budget, with the seconds to wait. */
  recordMiss(address: string): { allowed: boolean; retryAfterSeconds: number } {
    const client = clientOf(address);
    const now = this.#now();
    let entry = this.#misses.get(client);
    if (!entry || now - entry.windowStart >= WINDOW_MS) {
      this.#misses.delete(client);
      entry = { windowStart: now, count: 0 };
      this.#misses.set(client, entry);
      while (this.#misses.size > MAX_ADDRESSES) this.#misses.delete(this.#misses.keys().next().value!);
    }
    entry.count++;
    return { allowed: entry.count <= MISSES_PER_WINDOW, retryAfterSeconds: Math.ceil((entry.windowStart + WINDOW_MS - now) / 1000) };
  }
}

/**
 * The client as the limiter keys it: an IPv6 address's /64 (`2001:db8:0:1::/64`), an IPv4-mapped
 * IPv6 address (`::ffff:192.0.2.1`, what a dual-stack socket reports for an IPv4 client) as its
 * IPv4 address, anything else as written, bounded, so a forged header cannot make a key of any size.
 * A port is not part of it: a proxy may write one into X-Forwarded-For (Azure Application Gateway
 * writes `203.0.113.7:50412`), a new one for each connection, which would give every connection of
 * one client a budget of its own.
 */
function clientOf(address: string): string {
  const bounded = withoutPort(address.slice(0, MAX_ADDRESS_LENGTH));
  if (!isIPv6(bounded)) return bounded;
  const groups = ipv6Groups(bounded);
  if (groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff) {
    return [groups[6]! >> 8, groups[6]! & 0xff, groups[7]! >> 8, groups[7]! & 0xff].join('.');
  }
  return `${groups.slice(0, 4).map((group) => group.toString(16)).join(':')}::/64`;
}

/** An address written with a port (`203.0.113.7:50412`, `[2001:db8::1]:50412`) or in brackets (`[2001:db8::1]`), without them. */
function withoutPort(address: string): string {
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(address);
  if (bracketed && isIPv6(bracketed[1]!)) return bracketed[1]!;
  const ipv4 = /^([\d.]+):\d{1,5}$/.exec(address);
  if (ipv4 && isIPv4(ipv4[1]!)) return ipv4[1]!;
  return address;
}

/** The eight 16-bit groups of an address `isIPv6` accepted (a zone dropped, a dotted IPv4 tail read as two groups). */
function ipv6Groups(address: string): number[] {
  const text = address
    .split('%')[0]!
    .replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_, a, b, c, d) => `${((+a << 8) | +b).toString(16)}:${((+c << 8) | +d).toString(16)}`);
  const [head, tail] = text.split('::') as [string, string | undefined];
  const parse = (part: string | undefined) => (part ? part.split(':').map((group) => parseInt(group, 16)) : []);
  const before = parse(head);
  const after = parse(tail);
  // `::` stands for as many zero groups as are missing; without it, all eight are written.
  return [...before, ...Array<number>(8 - before.length - after.length).fill(0), ...after];
}
