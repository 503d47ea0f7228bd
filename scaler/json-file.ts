import * as fs from "fs";
import * as path from "path";

/**
 * Writes JSON so that a crash leaves the old file or the new one, never half of one: a temp
 * file in the same directory, flushed to disk, then renamed over the target.
 */
export function writeJsonAtomic(file: string, data: unknown): void {
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    const fd = fs.openSync(temporary, "w");
    try {
        fs.writeSync(fd, JSON.stringify(data, null, 2) + "\n");
        fs.fsyncSync(fd);
    } finally {
        fs.closeSync(fd);
    }
    fs.renameSync(temporary, file);
}
