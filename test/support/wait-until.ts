/** Polls `check` every 100 ms until it returns true, or throws `message` after `timeoutMs`. */
export async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, message: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`${message} (waited ${timeoutMs / 1000} s)`);
    await new Promise<void>((resolve) => setTimeout(resolve, 100));
  }
}
