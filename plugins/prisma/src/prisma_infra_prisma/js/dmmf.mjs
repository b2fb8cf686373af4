// Schema reading through @prisma/prisma-schema-wasm: datasource config and datamodel.
import { main, resolver, ScriptError } from "./_sync_common.mjs";

function wasm(request) {
  return resolver(request.nodeModules).require("@prisma/prisma-schema-wasm");
}

function parse(raw, what) {
  const value = JSON.parse(raw);
  return value;
}

// get_datamodel / get_dmmf throw a JSON string (or an Error holding one) on invalid schemas.
function schemaError(err) {
  let message = err && err.message ? err.message : String(err);
  try {
    const body = JSON.parse(message);
    message = body.message ?? message;
  } catch {}
  return new ScriptError("schema", message);
}

await main({
  config(request) {
    const raw = wasm(request).get_config(
      JSON.stringify({ prismaSchema: request.files, datasourceOverrides: {}, ignoreEnvVarErrors: true, env: request.env ?? {} }),
    );
    const out = parse(raw, "config");
    if (out.error) throw new ScriptError("schema", out.message ?? JSON.stringify(out.error));
    return out;
  },
  datamodel(request) {
    try {
      return parse(wasm(request).get_datamodel(JSON.stringify({ prismaSchema: request.files })), "datamodel");
    } catch (err) {
      throw schemaError(err);
    }
  },
  dmmf(request) {
    try {
      return parse(wasm(request).get_dmmf(JSON.stringify({ prismaSchema: request.files })), "dmmf");
    } catch (err) {
      throw schemaError(err);
    }
  },
});
