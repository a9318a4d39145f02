import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Polls url until check(response) holds, for at most timeoutMs (a bound against hangs, not a speed
 * assertion). Resolves to the matching response's status and body.
 */
export async function waitForHttp(
  url: string,
  check: (status: number, body: string) => boolean,
  timeoutMs = 60_000,
): Promise<{ status: number; body: string }> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no answer';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
      const body = await res.text();
      if (check(res.status, body)) return { status: res.status, body };
      last = `${res.status} ${body.slice(0, 200)}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await sleep(200);
  }
  throw new Error(`${url} did not reach the expected state within ${timeoutMs} ms (last: ${last})`);
}
