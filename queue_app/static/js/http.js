// The one way the screens talk HTTP to the server.
//
// JSON in and out; a non-2xx answer becomes an HttpError carrying the contract's error body
// ({"error": {"code", "message"}}) as code/message/status; no answer at all is an HttpError with status 0
// and code "network". A signed-in page's CSRF token (<meta name="csrf-token">) goes with every request.
// Writes carry an Idempotency-Key made once per user action; with `retry`, network failures and 5xx
// answers are retried after RETRY_DELAYS with the SAME key, so the server answers the first result
// instead of acting twice.

import { sleep } from "./dom.js";

export const RETRY_DELAYS = [600, 1500, 3000, 5000];
export const TIMEOUT_MS = 10000;

const csrfMeta = document.querySelector('meta[name="csrf-token"]');
let onUnauthorized = null;

export class HttpError extends Error {
  constructor(status, body) {
    super(body?.error?.message || (status ? `HTTP ${status}` : "network error"));
    this.status = status;
    this.body = body;
    this.code = body?.error?.code || (status ? "" : "network");
  }

  /** True when the request may have not reached the server, or the server could not answer now. */
  get transient() {
    return this.status === 0 || this.status >= 500;
  }
}

/** A fresh Idempotency-Key; crypto.randomUUID needs a secure context, a LAN http:// page is not one. */
export function newKey(prefix = "") {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return (prefix ? `${prefix}-` : "") + Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** What to do when the session is gone (401): each staff screen sends the user to its login page. */
export function setUnauthorizedHandler(handler) {
  onUnauthorized = handler;
}

async function once(method, url, { body, key, background, timeout, withStatus }) {
  const headers = { Accept: "application/json" };
  if (body !== undefined) headers["Content-Type"] = "application/json";
  if (key) headers["Idempotency-Key"] = key;
  if (csrfMeta?.content) headers["X-CSRFToken"] = csrfMeta.content;
  // background reads must not count as someone being at the screen (idle staff sessions expire)
  if (background) headers["X-Background"] = "1";
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(), timeout);
  let resp;
  try {
    resp = await fetch(url, {
      method, headers, credentials: "same-origin", cache: "no-store", signal: ctrl.signal,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch {
    throw new HttpError(0, null); // no answer: the action may or may not have happened
  } finally {
    clearTimeout(timer);
  }
  let data = null;
  try {
    data = await resp.json();
  } catch {
    data = null;
  }
  if (resp.status === 401 && onUnauthorized) onUnauthorized();
  if (!resp.ok) throw new HttpError(resp.status, data);
  return withStatus ? { status: resp.status, body: data } : data;
}

/**
 * One request; resolves to the parsed JSON body. Options: body (sent as JSON), key (Idempotency-Key),
 * background (X-Background), timeout (ms), retry (retry transient failures, only for reads or keyed
 * writes), onRetry(attempt) called before each retry, withStatus (resolve to {status, body}: a repeat
 * that answers 200 where the first answered 201).
 */
export async function request(method, url, options = {}) {
  const { retry = false, onRetry = null, timeout = TIMEOUT_MS } = options;
  const safe = method === "GET" || Boolean(options.key);
  const delays = retry && safe ? RETRY_DELAYS : [];
  for (let attempt = 0; ; attempt++) {
    try {
      return await once(method, url, { ...options, timeout });
    } catch (err) {
      if (!err.transient || attempt >= delays.length) throw err;
      if (onRetry) onRetry(attempt + 1);
      await sleep(delays[attempt]);
    }
  }
}

export const getJSON = (url, options = {}) => request("GET", url, options);
export const postJSON = (url, body, options = {}) => request("POST", url, { ...options, body });
