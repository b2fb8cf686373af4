'use strict';
// Errors for the bridge (bridge.cjs): what a failed request answers, {code, name, message, meta,
// kind?, cause?}, read by prisma_infra_prisma.errors on the Python side.

// A value made JSON-safe (BigInts as strings, Errors with their message), depth-limited:
// driver errors can hold sockets and pools.
function plain(value, depth = 0) {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return value.toString();
  if (typeof value !== 'object') return value;
  if (depth > 6) return String(value);
  if (Array.isArray(value)) return value.map((v) => plain(v, depth + 1));
  const out = {};
  for (const key of Object.keys(value)) out[key] = plain(value[key], depth + 1);
  if (value instanceof Error) {
    out.message = value.message;
    if (value.cause !== undefined && out.cause === undefined) out.cause = plain(value.cause, depth + 1);
  }
  return out;
}

function errorPayload(err) {
  if (err === null || typeof err !== 'object') return { code: null, name: 'Error', message: String(err), meta: null };
  const meta = err.meta !== undefined ? plain(err.meta) : null;
  const code = typeof err.code === 'string' && /^P\d{4}$/.test(err.code) ? err.code : null;
  const name = err.name || 'Error';
  const out = { code, name, message: String(err.message || err), meta };
  if (!code && err.cause !== undefined) out.cause = plain(err.cause);
  if (name === 'PrismaClientValidationError') out.kind = 'validation';
  else if (name === 'PrismaClientInitializationError') out.kind = 'initialization';
  else if (name === 'PrismaClientRustPanicError' || name === 'PrismaClientUnknownRequestError') out.kind = 'unknown';
  else if (!name.startsWith('Prisma')) out.kind = 'internal';
  return out;
}

// An error of the bridge itself (a bad request), shaped like Prisma's: `code` a P-code or null.
function bridgeError(code, message, meta) {
  const err = new Error(message);
  err.code = code;
  err.meta = meta || null;
  err.name = 'BridgeError';
  return err;
}

module.exports = { plain, errorPayload, bridgeError };
