/**
 * The stdin file bundle: how a remote command receives files (certificates, keys, kubeadm
 * configs) without putting them on a command line, which sudo logs and `ps` shows.
 *
 * Format: one line per file, `<mode> <absolute path> <base64 content>\n`. Paths are limited to
 * `[A-Za-z0-9._/-]` so a line splits on spaces without quoting; base64 carries any content
 * (newlines, binary) on one line. The TS encoder and the bash decoder both validate every line.
 */

export interface NodeFile {
    readonly path: string;
    readonly mode: "0600" | "0644";
    readonly content: string;
}

export const NODE_FILE_MODES: readonly NodeFile["mode"][] = ["0600", "0644"];

const PATH_CHARACTERS = /^[A-Za-z0-9._/-]+$/;

/** Throws unless `path` is an absolute file path of safe characters with no "..". */
export function validateNodeFilePath(path: string): void {
    const problem = !path.startsWith("/")
        ? "must be absolute"
        : !PATH_CHARACTERS.test(path)
          ? 'may only use letters, digits and "._/-"'
          : path.includes("..")
            ? 'must not contain ".."'
            : path.endsWith("/") || path.includes("//")
              ? 'must name a file (no trailing "/" or "//")'
              : undefined;
    if (problem !== undefined) {
        throw new Error(`node file path ${JSON.stringify(path)} ${problem}`);
    }
}

/** stdin payload: one line per file: "<mode> <absolute path> <base64 content>\n". Validates paths (absolute, [A-Za-z0-9._/-] only, no "..") and throws naming the bad path. */
export function encodeFileBundle(files: readonly NodeFile[]): string {
    const seen = new Set<string>();
    return files
        .map((file) => {
            validateNodeFilePath(file.path);
            if (!NODE_FILE_MODES.includes(file.mode)) {
                throw new Error(`node file ${JSON.stringify(file.path)} has mode ${JSON.stringify(file.mode)}; allowed: ${NODE_FILE_MODES.join(", ")}`);
            }
            if (seen.has(file.path)) {
                throw new Error(`node file path ${JSON.stringify(file.path)} appears twice in the bundle`);
            }
            seen.add(file.path);
            return `${file.mode} ${file.path} ${Buffer.from(file.content, "utf8").toString("base64")}\n`;
        })
        .join("");
}

/**
 * bash function definition `install_files_from_stdin` that reads such lines from stdin and
 * installs each file atomically (temp file + mv) with its mode, owner root, creating parent dirs
 * 0755, under umask 077 so secrets are never briefly world-readable.
 *
 * It re-checks every line (mode, path, base64) rather than trusting the sender, and treats a last
 * line without its newline as a truncated bundle. `BUNDLE_ROOT` is for tests only: it prefixes
 * every path so the decoder can run without root. In production it is never set: sudo's
 * env_reset drops the SSH session's environment. The chown is skipped when not running as root.
 */
export const INSTALL_FILES_FROM_STDIN = `# Installs the files of a bundle read from stdin ("<mode> <path> <base64>" per line).
# Each file is written to a temp file in its own directory and renamed over the target, so no
# reader sees half a file; umask 077 keeps secrets private while they are written.
# BUNDLE_ROOT (tests only) prefixes every path.
install_files_from_stdin() (
  umask 077
  local mode="" path="" data="" dest dir tmp count=0
  fail() { echo "install_files_from_stdin: $*" >&2; exit 1; }
  while IFS=' ' read -r mode path data; do
    case "$mode" in
      0600 | 0644) ;;
      *) fail "line $((count + 1)): mode '$mode' is not 0600 or 0644" ;;
    esac
    if [[ ! $path =~ ^/[A-Za-z0-9._/-]+$ || $path == *..* || $path == */ ]]; then
      fail "line $((count + 1)): refusing path '$path'"
    fi
    if [[ ! $data =~ ^[A-Za-z0-9+/]*={0,2}$ ]]; then
      fail "$path: content is not base64"
    fi
    dest="\${BUNDLE_ROOT:-}$path"
    dir=$(dirname "$dest")
    # New parent directories are world-readable (0755) like the rest of /etc; files are not.
    (umask 022 && mkdir -p "$dir") || fail "$path: cannot create $dir"
    tmp=$(mktemp "$dir/.bundle.XXXXXX") || fail "$path: cannot create a temp file in $dir"
    if ! printf '%s' "$data" | base64 -d >"$tmp"; then
      rm -f "$tmp"
      fail "$path: content is not valid base64"
    fi
    if [ "$(id -u)" -eq 0 ] && ! chown root:root "$tmp"; then
      rm -f "$tmp"
      fail "$path: cannot chown to root"
    fi
    if ! chmod "$mode" "$tmp" || ! mv -f -T "$tmp" "$dest"; then
      rm -f "$tmp"
      fail "$path: cannot install"
    fi
    count=$((count + 1))
  done
  # read fails on a last line without its newline: the bundle was cut short.
  [ -z "$mode" ] || fail "the last line has no newline: the bundle is truncated"
  echo "installed $count file(s) from stdin" >&2
)
`;
