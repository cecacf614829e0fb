// What both flows assert the same way, typed by what they are given.
import assert from 'node:assert/strict';

/* The flow's environment: where the server is and whom to sign in as. */
export interface FlowEnv {
  baseUrl: string;
  username: string;
  password: string;
  partner: string;
  /* A word no other test uses: the flow's records are found by it (`q`). */
  tag: string;
}

/* Registers one step of a flow: the steps run in the order registered. */
export type Step = (name: string, run: () => Promise<void>) => void;

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/* How long a 503 asks to wait (Retry-After seconds, 1 when absent), in ms. */
export function retryAfterMs(headers: Headers): number {
  const seconds = Number(headers.get('Retry-After'));
  return (Number.isFinite(seconds) && seconds > 0 ? seconds : 1) * 1000;
}

/* The strong entity tag of a version, as the server writes it. */
export const etagOf = (version: number): string => `"${version}"`;

/* The URL of a `Link: <url>; rel="next"` header; fails when there is none. */
export function nextLink(headers: Headers, base: string): URL {
  const link = headers.get('Link');
  assert.ok(link, 'a page with a next page has a Link header');
  const m = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link);
  assert.ok(m, `Link names the next page: ${link}`);
  return new URL(m[1], base);
}

/* A calendar day no other test uses for deliveries: one of 2030–2039. */
export function quietDay(): string {
  const start = Date.UTC(2030, 0, 1);
  const day = new Date(start + Math.floor(Math.random() * 3650) * 86400000);
  return day.toISOString().slice(0, 10);
}
