import * as fs from "fs";
import * as path from "path";

/**
 * A stand-in for the Pulumi CLI's config commands, so README's command sequences run in real
 * bash: `pulumi config set [--path] [--secret] key value` and `pulumi config rm [--path] key`
 * edit Pulumi.<stack>.yaml as the CLI does (with --path, "true"/"false" become booleans and
 * integers numbers; top-level values stay strings; a secret is stored as {secure: ...});
 * `pulumi up`/`preview` snapshot the stack file (what an update would read); `pulumi stack
 * output <name>` answers from a JSON file of real outputs (the program's, evaluated offline).
 * Everything else is a no-op. `npm run up` (the repository's script: keep the deployed scale, then
 * `pulumi up`) is an update too; any other npm command is a no-op. It stands for the CLI, which this machine does not have.
 */
const SCRIPT = String.raw`#!/usr/bin/env node
"use strict";
const fs = require("fs");
const path = require("path");
const YAML = require(process.env.FAKE_PULUMI_YAML);
let args = process.argv.slice(2);
let cwd = process.cwd();
let stack = process.env.FAKE_PULUMI_STACK;
const rest = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === "-C" || a === "--cwd") cwd = path.resolve(cwd, args[++i]);
  else if (a.startsWith("--cwd=")) cwd = path.resolve(cwd, a.slice(6));
  else if (a === "-s" || a === "--stack") stack = args[++i];
  else if (a === "--non-interactive" || a === "--yes" || a === "-y" || a === "--skip-preview" || a === "--diff") continue;
  else rest.push(a);
}
const project = YAML.parse(fs.readFileSync(path.join(cwd, "Pulumi.yaml"), "utf8")).name;
const stackFile = path.join(cwd, "Pulumi." + stack + ".yaml");
const read = () => (fs.existsSync(stackFile) ? YAML.parse(fs.readFileSync(stackFile, "utf8")) : null) || {};
const write = (doc) => fs.writeFileSync(stackFile, YAML.stringify(doc));
const qualify = (key) => (key.includes(":") ? key : project + ":" + key);
function segments(p) {
  const out = [];
  const re = /([^.\[\]]+)|\[(\d+)\]/g;
  let m;
  while ((m = re.exec(p))) out.push(m[2] !== undefined ? Number(m[2]) : m[1]);
  return out;
}
function setPath(target, segs, value) {
  let node = target;
  for (let i = 0; i < segs.length - 1; i++) {
    const s = segs[i];
    if (node[s] === undefined || node[s] === null || typeof node[s] !== "object") node[s] = typeof segs[i + 1] === "number" ? [] : {};
    node = node[s];
  }
  node[segs[segs.length - 1]] = value;
}
function removePath(target, segs) {
  let node = target;
  for (let i = 0; i < segs.length - 1; i++) { node = node && node[segs[i]]; }
  if (node && typeof node === "object") {
    const last = segs[segs.length - 1];
    if (Array.isArray(node) && typeof last === "number") node.splice(last, 1); else delete node[last];
  }
}
const [command, sub, ...more] = rest;
if (command === "config" && (sub === "set" || sub === "rm")) {
  let usePath = false, secret = false;
  const words = [];
  for (const w of more) {
    if (w === "--path") usePath = true;
    else if (w === "--secret") secret = true;
    else if (w === "--plaintext" || w === "--") continue;
    else if (w.startsWith("--type")) continue;
    else words.push(w);
  }
  const doc = read();
  doc.config = doc.config || {};
  const [key, value] = words;
  if (usePath) {
    const segs = segments(key);
    const top = qualify(String(segs[0]));
    const holder = { [top]: doc.config[top] };
    const full = [top, ...segs.slice(1)];
    if (sub === "set") setPath(holder, full, value === "true" ? true : value === "false" ? false : /^-?\d+$/.test(value) ? Number(value) : value);
    else removePath(holder, full);
    if (holder[top] === undefined) delete doc.config[top]; else doc.config[top] = holder[top];
  } else if (sub === "set") {
    doc.config[qualify(key)] = secret ? { secure: "v1:fake" } : String(value);
  } else delete doc.config[qualify(key)];
  write(doc);
} else if (command === "up" || command === "preview") {
  const dir = process.env.FAKE_PULUMI_SNAPSHOTS;
  const n = fs.readdirSync(dir).length;
  fs.writeFileSync(path.join(dir, String(n).padStart(3, "0") + ".yaml"), fs.existsSync(stackFile) ? fs.readFileSync(stackFile, "utf8") : "");
} else if (command === "stack" && (sub === "--show-name" || more.includes("--show-name"))) {
  process.stdout.write(stack + "\n");
} else if (command === "stack" && sub === "output") {
  const outputs = JSON.parse(fs.readFileSync(path.join(cwd, ".fake-outputs.json"), "utf8"));
  const name = more.filter((w) => !w.startsWith("--"))[0];
  const value = outputs[name];
  if (value === undefined) { console.error("fake pulumi: no output " + name); process.exit(1); }
  process.stdout.write((typeof value === "string" && !more.includes("--json") ? value : JSON.stringify(value)) + "\n");
}
`;

const NPM = `#!/usr/bin/env bash
if [ "$1" = run ] && [ "$2" = up ]; then exec pulumi up; fi
exit 0
`;

/** Writes the fake `pulumi` (and `npm`, for `npm run up`) into `binDir` (first on PATH for the commands under test). */
export function installFakePulumi(binDir: string): void {
    fs.mkdirSync(binDir, { recursive: true });
    fs.writeFileSync(path.join(binDir, "pulumi"), SCRIPT, { mode: 0o755 });
    fs.writeFileSync(path.join(binDir, "npm"), NPM, { mode: 0o755 });
}

/** The environment the fake reads: which stack, where `up` snapshots go, and the yaml module. */
export function fakePulumiEnv(stack: string, snapshots: string): Record<string, string> {
    return { FAKE_PULUMI_STACK: stack, FAKE_PULUMI_SNAPSHOTS: snapshots, FAKE_PULUMI_YAML: require.resolve("yaml") };
}
