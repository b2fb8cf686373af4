'use strict';
// Values across the bridge (bridge.cjs), the JavaScript half of codec.py: tagged values
// {"$type": T, "value": V} in requests become Prisma's values (`revive`), and results are made
// JSON-safe with the values JSON cannot carry tagged (`encode`).
const { RawFloat } = require('./raw_floats.cjs');

// `Prisma`: the generated client's namespace (its Decimal and null markers).
function createCodec(Prisma) {
  const Decimal = Prisma.Decimal;

  // In place: request arguments are parsed JSON, owned by this request alone.
  function revive(value) {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const v = value[i];
        if (v !== null && typeof v === 'object') value[i] = revive(v);
      }
      return value;
    }
    const type = value.$type;
    if (type !== undefined) {
      switch (type) {
        case 'DateTime': return new Date(value.value);
        case 'BigInt': return BigInt(value.value);
        case 'Decimal': return new Decimal(value.value);
        case 'Bytes': return Buffer.from(value.value, 'base64');
        case 'Json': return value.value;
        case 'JsonNull': return Prisma.JsonNull;
        case 'DbNull': return Prisma.DbNull;
        case 'AnyNull': return Prisma.AnyNull;
        default: throw new TypeError(`unknown tagged value $type ${JSON.stringify(type)}`);
      }
    }
    for (const key in value) {
      const v = value[key];
      if (v !== null && typeof v === 'object') value[key] = revive(v);
    }
    return value;
  }

  // Returns the value made JSON-safe; sets tagged.hit when a tag was produced (a flag, not a
  // second return value: no allocation per result on the hot path).
  const tagged = { hit: false };
  function encode(value) {
    switch (typeof value) {
      case 'bigint':
        tagged.hit = true;
        return { $type: 'BigInt', value: value.toString() };
      case 'object':
        break;
      case 'undefined':
        return null;
      default:
        return value;
    }
    if (value === null) return null;
    if (Array.isArray(value)) {
      const out = new Array(value.length);
      for (let i = 0; i < value.length; i++) out[i] = encode(value[i]);
      return out;
    }
    if (value instanceof Date) {
      tagged.hit = true;
      return { $type: 'DateTime', value: Number.isNaN(value.getTime()) ? null : value.toISOString() };
    }
    if (value instanceof RawFloat) {
      tagged.hit = true;
      return { $type: 'Float', value: value.value };
    }
    if (Decimal.isDecimal(value)) {
      tagged.hit = true;
      return { $type: 'Decimal', value: value.toString() };
    }
    if (value instanceof Uint8Array) {
      tagged.hit = true;
      return { $type: 'Bytes', value: Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64') };
    }
    if (Object.prototype.hasOwnProperty.call(value, '$type')) {
      // A Json value that looks like a tag: escape it, as-is.
      tagged.hit = true;
      return { $type: 'Json', value };
    }
    const out = {};
    for (const key in value) out[key] = encode(value[key]);
    return out;
  }

  return { revive, encode, tagged };
}

module.exports = { createCodec };
