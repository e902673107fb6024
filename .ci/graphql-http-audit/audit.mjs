#!/usr/bin/env node
// GraphQL-over-HTTP conformance audit for CI.
//
// Usage: node audit.mjs <url> [--json out.json] [--timeout ms]
//
// Runs graphql-http's auditServer() against <url>, prints one line per audit and
// a final summary line:
//   graphql-http audit: N ok, N warnings, N errors
// Exit codes: 0 = every audit ran and none is warn/error; 1 = any warning/error,
// audit count mismatch, or server unreachable / fatal audit error; 2 = bad usage.
// "notice" results (optional MAY audits that did not pass) fail the run too: this service
// aims at every audit ok, MAYs included.

import { readFileSync, writeFileSync } from 'node:fs';
import { auditServer, serverAudits } from 'graphql-http';

const USAGE = 'usage: node audit.mjs <url> [--json out.json] [--timeout ms]';
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

function usage(msg) {
  if (msg) console.error(`graphql-http audit: ${msg}`);
  console.error(USAGE);
  process.exit(2);
}

function parseArgs(argv) {
  let url;
  let jsonOut;
  let timeoutMs = 10_000;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      console.log(USAGE);
      process.exit(0);
    } else if (arg === '--json' || arg === '--timeout') {
      const val = argv[++i];
      if (val === undefined || val.startsWith('--')) usage(`${arg} needs a value`);
      if (arg === '--json') jsonOut = val;
      else timeoutMs = Number(val);
    } else if (arg.startsWith('--json=')) {
      jsonOut = arg.slice('--json='.length);
    } else if (arg.startsWith('--timeout=')) {
      timeoutMs = Number(arg.slice('--timeout='.length));
    } else if (arg.startsWith('-')) {
      usage(`unknown option ${arg}`);
    } else if (url === undefined) {
      url = arg;
    } else {
      usage(`unexpected argument ${arg}`);
    }
  }
  if (!url) usage('missing <url>');
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    usage(`invalid URL: ${url}`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    usage(`URL must be http(s): ${url}`);
  }
  if (!jsonOut && jsonOut !== undefined) usage('--json needs a file name');
  if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) usage('--timeout must be a positive number of ms');
  return { url, jsonOut, timeoutMs };
}

function libraryVersion() {
  try {
    const pkg = new URL('./node_modules/graphql-http/package.json', import.meta.url);
    return JSON.parse(readFileSync(pkg, 'utf8')).version;
  } catch {
    return 'unknown';
  }
}

function oneLine(text, max = 200) {
  const flat = String(text).replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

// Summarise the Response attached to a failing audit (body only if still unread).
async function summarizeResponse(res) {
  if (!res || typeof res !== 'object') return { text: 'no response', json: null };
  const headers = {};
  try {
    for (const [k, v] of res.headers.entries()) headers[k] = v;
  } catch {
    /* ignore */
  }
  let body = null;
  if (!res.bodyUsed) {
    try {
      body = await res.clone().text();
    } catch {
      body = null;
    }
  }
  const parts = [`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}`];
  parts.push(`content-type: ${headers['content-type'] ?? '<none>'}`);
  parts.push(body === null ? 'body: <already consumed>' : `body: ${oneLine(body) || '<empty>'}`);
  return {
    text: parts.join('; '),
    json: { status: res.status, statusText: res.statusText, headers, body },
  };
}

function describeFatal(err, timeoutMs) {
  const cause = err?.cause;
  const code = cause?.code ?? err?.code;
  const detail = [err?.message, cause?.message].filter(Boolean).join(': ');
  if (err?.name === 'TimeoutError' || err?.name === 'AbortError') {
    return { unreachable: true, text: `no response within ${timeoutMs} ms (${detail})` };
  }
  if (code && UNREACHABLE_CODES.has(code)) return { unreachable: true, text: `${detail} [${code}]` };
  // Node's fetch reports connection failures as TypeError("fetch failed") with a cause.
  if (err instanceof TypeError && err.message === 'fetch failed') return { unreachable: true, text: detail };
  return { unreachable: false, text: err?.stack ?? String(err) };
}

function writeJson(path, data) {
  try {
    writeFileSync(path, `${JSON.stringify(data, null, 2)}\n`);
    console.log(`graphql-http audit: wrote JSON results to ${path}`);
  } catch (err) {
    console.error(`graphql-http audit: could not write JSON to ${path}: ${err.message}`);
    process.exitCode = 1;
  }
}

async function main() {
  const { url, jsonOut, timeoutMs } = parseArgs(process.argv.slice(2));
  const version = libraryVersion();
  // Node 20 global fetch, with a per-request timeout so a hung server cannot stall CI.
  const fetchFn = (input, init = {}) =>
    fetch(input, { ...init, signal: init.signal ?? AbortSignal.timeout(timeoutMs) });

  const expected = serverAudits({ url, fetchFn });
  const expectedTotal = expected.length;
  console.log(`graphql-http audit: graphql-http ${version}, ${expectedTotal} audits against ${url}`);

  let results;
  try {
    results = await auditServer({ url, fetchFn });
  } catch (err) {
    const { unreachable, text } = describeFatal(err, timeoutMs);
    const msg = unreachable
      ? `graphql-http audit: FAILED - server unreachable at ${url}: ${text}`
      : `graphql-http audit: FAILED - fatal error while auditing ${url}: ${text}`;
    console.error(msg);
    if (jsonOut) {
      writeJson(jsonOut, {
        url,
        graphqlHttpVersion: version,
        expectedTotal,
        passed: false,
        fatal: { unreachable, message: text },
        results: [],
      });
    }
    process.exit(1);
  }

  const counts = { ok: 0, warn: 0, error: 0, notice: 0, other: 0 };
  const jsonResults = [];
  for (const r of results) {
    const status = r.status in counts ? r.status : 'other';
    counts[status]++;
    if (r.status === 'ok') {
      console.log(`ok     ${r.id}  ${r.name}`);
      jsonResults.push({ id: r.id, name: r.name, status: r.status });
    } else {
      const res = await summarizeResponse(r.response);
      console.log(`${r.status.padEnd(6)} ${r.id}  ${r.name}\n         reason: ${r.reason}\n         response: ${res.text}`);
      jsonResults.push({ id: r.id, name: r.name, status: r.status, reason: r.reason, response: res.json });
    }
  }

  // Every audit the library defines must have produced exactly one result.
  const seen = new Set(results.map((r) => r.id));
  const missing = expected.filter((a) => !seen.has(a.id)).map((a) => a.id);
  const countOk = results.length === expectedTotal && missing.length === 0;

  if (counts.notice) console.log(`graphql-http audit: ${counts.notice} notices (optional MAY audits not passed)`);
  if (counts.other) console.log(`graphql-http audit: ${counts.other} results with an unknown status (treated as errors)`);
  if (!countOk) {
    console.log(
      `graphql-http audit: ran ${results.length} audits, expected ${expectedTotal}` +
        (missing.length ? ` (missing: ${missing.join(', ')})` : ''),
    );
  }
  const errors = counts.error + counts.other;
  console.log(`graphql-http audit: ${counts.ok} ok, ${counts.warn} warnings, ${errors} errors`);

  const passed = countOk && counts.ok === expectedTotal;
  if (jsonOut) {
    writeJson(jsonOut, {
      url,
      graphqlHttpVersion: version,
      expectedTotal,
      total: results.length,
      counts: { ok: counts.ok, warn: counts.warn, error: errors, notice: counts.notice },
      missing,
      passed,
      results: jsonResults,
    });
  }
  if (!passed) process.exitCode = 1;
}

main().catch((err) => {
  console.error(`graphql-http audit: FAILED - internal error: ${err?.stack ?? err}`);
  process.exit(1);
});
