// db push and diff through @prisma/schema-engine-wasm (PostgreSQL and SQLite).
import { main, resolver, schemaFilter, withSchemaEngine } from "./_sync_common.mjs";

function schemas(request) {
  return { files: request.files.map(([path, content]) => ({ path, content })) };
}

await main({
  async push(request) {
    const mods = resolver(request.nodeModules);
    return withSchemaEngine(mods, request, (engine) =>
      engine.schemaPush({ force: Boolean(request.force), schema: schemas(request), filters: schemaFilter(request) }),
    );
  },
  async diff(request) {
    // From empty to the schema's datamodel. An adapter is only needed when the
    // engine must talk to a database; a pure datamodel diff needs none.
    const mods = resolver(request.nodeModules);
    return withSchemaEngine(mods, { ...request, url: request.url ?? null }, async (engine) => {
      const out = await engine.diff({
        from: request.from ?? { tag: "empty" },
        to: { tag: "schemaDatamodel", ...schemas(request) },
        script: request.script ?? true,
        exitCode: null,
        filters: schemaFilter(request),
      });
      return { script: out.stdout ?? "", exitCode: out.exitCode };
    });
  },
});
