#!/usr/bin/env node
// Entry point of the `hyperkeep` CLI. The engine needs Node 24 (Electron's line): better-sqlite3
// crashes on older Node, so refuse clearly instead.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `hyperkeep needs Node.js 24 or newer (this is ${process.version}). From a checkout run it as \`npx hyperkeep …\`, which uses the project's Node 24.`,
  );
  process.exit(1);
}
const { main } = await import('../out/cli/hyperkeep.js').catch((err) => {
  console.error(
    `hyperkeep is not built yet (${err.code ?? err.message}): run \`make build\` first.`,
  );
  process.exit(1);
});
await main(process.argv);
