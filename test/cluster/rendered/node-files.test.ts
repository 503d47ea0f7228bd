import { strict as assert } from "assert";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { encodeFileBundle, INSTALL_FILES_FROM_STDIN, NodeFile } from "../../../components/cluster/rendered/node-files";
import { shellcheck } from "../../support/scripts-shellcheck";
import { requireTool } from "../../support/tools";

/** Runs the real decoder with bash under `root` (BUNDLE_ROOT), from a caller with umask 077. */
function decode(root: string, stdin: string) {
    const script = `set -euo pipefail\numask 077\n${INSTALL_FILES_FROM_STDIN}\ninstall_files_from_stdin\n`;
    return spawnSync("bash", ["-c", script], { input: stdin, encoding: "utf8", env: { PATH: process.env.PATH ?? "/usr/bin:/bin", BUNDLE_ROOT: root } });
}

const modeOf = (file: string) => (fs.statSync(file).mode & 0o777).toString(8).padStart(4, "0");

const PEM_KEY = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\nTOP+SECRET/line==\n-----END PRIVATE KEY-----\n";
const BINARYISH = "\u0000\u0001\u0002\r\n\t\u001b[0m\u007f\u00ff\u2603 end\n\n\n";

describe("node file bundle", () => {
    let root: string;
    beforeEach(() => {
        root = fs.mkdtempSync(path.join(os.tmpdir(), "node-files-"));
    });
    afterEach(() => fs.rmSync(root, { recursive: true, force: true }));

    describe("encodeFileBundle", () => {
        it("writes one '<mode> <path> <base64>' line per file", () => {
            const bundle = encodeFileBundle([
                { path: "/etc/a.conf", mode: "0644", content: "a b\n" },
                { path: "/etc/kubernetes/pki/ca.key", mode: "0600", content: "" },
            ]);
            assert.equal(bundle, `0644 /etc/a.conf ${Buffer.from("a b\n").toString("base64")}\n0600 /etc/kubernetes/pki/ca.key \n`);
        });

        it("is empty for no files", () => {
            assert.equal(encodeFileBundle([]), "");
        });

        const badPaths: [string, RegExp][] = [
            ["etc/relative.conf", /node file path "etc\/relative\.conf" must be absolute/],
            ["/etc/../shadow", /node file path "\/etc\/\.\.\/shadow" must not contain "\.\."/],
            ["/etc/with space.conf", /node file path "\/etc\/with space\.conf" may only use letters, digits and "\._\/-"/],
            ["/etc/new\nline", /may only use letters/],
            ["/etc/$(reboot)", /node file path "\/etc\/\$\(reboot\)" may only use/],
            ["/etc/kubernetes/", /must name a file/],
            ["/etc//x", /must name a file/],
            ["", /node file path "" must be absolute/],
        ];
        for (const [bad, message] of badPaths) {
            it(`rejects the path ${JSON.stringify(bad)}, naming it`, () => {
                assert.throws(() => encodeFileBundle([{ path: bad, mode: "0600", content: "x" }]), message);
            });
        }

        it("rejects a mode other than 0600/0644, naming the file", () => {
            const file = { path: "/etc/x", mode: "0777", content: "" } as unknown as NodeFile;
            assert.throws(() => encodeFileBundle([file]), /node file "\/etc\/x" has mode "0777"; allowed: 0600, 0644/);
        });

        it("rejects the same path twice", () => {
            const file: NodeFile = { path: "/etc/x", mode: "0600", content: "" };
            assert.throws(() => encodeFileBundle([file, file]), /node file path "\/etc\/x" appears twice/);
        });
    });

    describe("install_files_from_stdin (real bash)", () => {
        const files: NodeFile[] = [
            { path: "/etc/kubernetes/pki/ca.key", mode: "0600", content: PEM_KEY },
            { path: "/etc/kubernetes/pki/ca.crt", mode: "0644", content: "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n" },
            { path: "/etc/kubernetes/boutique/kubeadm.yaml", mode: "0600", content: "token: abcdef.0123456789abcdef\n  indented:   spaces  inside  \n" },
            { path: "/var/lib/boutique/binary.bin", mode: "0644", content: BINARYISH },
            { path: "/var/lib/boutique/empty", mode: "0600", content: "" },
            { path: "/var/lib/boutique/no-trailing-newline", mode: "0600", content: "last line" },
        ];

        it("round-trips content exactly, applies modes and creates parent dirs 0755", () => {
            const run = decode(root, encodeFileBundle(files));
            assert.equal(run.status, 0, run.stderr);
            assert.match(run.stderr, /installed 6 file\(s\) from stdin/);
            for (const file of files) {
                const onDisk = path.join(root, file.path);
                assert.equal(fs.readFileSync(onDisk, "utf8"), file.content, file.path);
                assert.equal(modeOf(onDisk), file.mode, file.path);
                if (process.getuid?.() === 0) assert.equal(fs.statSync(onDisk).uid, 0, `${file.path} is owned by root`);
            }
            for (const dir of ["etc/kubernetes", "etc/kubernetes/pki", "etc/kubernetes/boutique", "var/lib/boutique"]) {
                assert.equal(modeOf(path.join(root, dir)), "0755", dir);
            }
        });

        it("replaces existing files atomically and leaves no temp files behind", () => {
            const target = path.join(root, "etc/kubernetes/pki/ca.key");
            fs.mkdirSync(path.dirname(target), { recursive: true, mode: 0o700 });
            fs.writeFileSync(target, "old world-readable key", { mode: 0o644 });
            const run = decode(root, encodeFileBundle([files[0]]));
            assert.equal(run.status, 0, run.stderr);
            assert.equal(fs.readFileSync(target, "utf8"), PEM_KEY);
            assert.equal(modeOf(target), "0600");
            assert.equal(modeOf(path.dirname(target)), "0700", "an existing directory keeps its mode");
            assert.deepEqual(fs.readdirSync(path.dirname(target)), ["ca.key"]);
        });

        it("installs nothing for an empty bundle", () => {
            const run = decode(root, "");
            assert.equal(run.status, 0, run.stderr);
            assert.deepEqual(fs.readdirSync(root), []);
        });

        const badLines: [string, string, RegExp][] = [
            ["a path with ..", "0600 /etc/../x eA==\n", /refusing path '\/etc\/\.\.\/x'/],
            ["a relative path", "0600 etc/x eA==\n", /refusing path 'etc\/x'/],
            ["a bad mode", "0777 /etc/x eA==\n", /mode '0777' is not 0600 or 0644/],
            ["content that is not base64", "0600 /etc/x not*base64\n", /\/etc\/x: content is not base64/],
            ["a truncated last line", "0600 /etc/x eA==", /the bundle is truncated/],
        ];
        for (const [what, stdin, message] of badLines) {
            it(`fails on ${what}`, () => {
                const run = decode(root, stdin);
                assert.notEqual(run.status, 0);
                assert.match(run.stderr, message);
                assert.ok(!fs.existsSync(path.join(root, "x")) && !fs.existsSync(path.join(root, "etc/x")), "nothing installed");
            });
        }

        it("passes shellcheck", function () {
            requireTool(this, "shellcheck", "apt-get install shellcheck");
            const check = shellcheck(`#!/usr/bin/env bash\nset -euo pipefail\n${INSTALL_FILES_FROM_STDIN}\ninstall_files_from_stdin\n`);
            assert.ok(check.passed, check.report);
        });
    });
});
