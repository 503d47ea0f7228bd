import * as fs from "fs";
import * as path from "path";
import { parseArgs } from "util";
import { BOUTIQUE_SERVICES, BoutiqueService } from "../config/boutique-config";
import { fileSystemProblem, quoteInput, runCli, UsageError } from "../config/cli";
import { imageProblem } from "../config/fields";
import { DEFAULT_GITOPS_PATH } from "../config/gitops-config";
import { RELEASE_FILE, ReleaseFileError, setServiceImage } from "./image-entry";

export const USAGE = `Releases one Online Boutique service from the Git path Argo CD reads: rewrites that service's
kustomize images entry (newName, and newTag or digest) in <path>/${RELEASE_FILE}, and leaves every
other byte of the file as it is. Writes nothing when the entry already names the image.

usage: npm run release:image -- --service <service> --image <reference> [--path ${DEFAULT_GITOPS_PATH}]

  --service  one of ${BOUTIQUE_SERVICES.join(", ")}
  --image    a pinned image reference: registry/path:tag or registry/path@sha256:<64 hex> (not latest)
  --path     the Git path whose ${RELEASE_FILE} is the release file (default ${DEFAULT_GITOPS_PATH})`;

function isService(value: string): value is BoutiqueService {
    return (BOUTIQUE_SERVICES as readonly string[]).includes(value);
}

/** Runs one release; returns the exit code. Every refusal names the value, quoted. */
export async function main(argv: string[]): Promise<number> {
    const { values } = parseArgs({
        args: argv,
        options: {
            path: { type: "string", default: DEFAULT_GITOPS_PATH },
            service: { type: "string" },
            image: { type: "string" },
            help: { type: "boolean", short: "h", default: false },
        },
        strict: true,
    });
    if (values.help) {
        console.log(USAGE);
        return 0;
    }
    // Every refusal of the command line comes before the file is read.
    const { service, image } = values;
    if (service === undefined) throw new UsageError("--service is required");
    if (!isService(service))
        throw new UsageError(`--service ${quoteInput(service)}: not a service of the shop; expected one of ${BOUTIQUE_SERVICES.join(", ")}`);
    if (image === undefined) throw new UsageError("--image is required");
    const problem = imageProblem(image);
    if (problem !== undefined) throw new UsageError(`--image ${quoteInput(image)}: ${problem}`);

    const file = path.join(values.path, RELEASE_FILE);
    const text = fs.readFileSync(file, "utf8");
    let edit;
    try {
        edit = setServiceImage(text, service, image);
    } catch (error) {
        if (error instanceof ReleaseFileError) throw new ReleaseFileError(`${quoteInput(file)} ${error.message}; nothing written`);
        throw error;
    }
    if (edit.kind === "current") {
        console.log(`${service} already runs ${image} in ${file}: nothing changed`);
        return 0;
    }
    fs.writeFileSync(file, edit.text);
    console.log(`${service} now runs ${image} in ${file}`);
    return 0;
}

/** A missing or unreadable file, or a release file that cannot take the release: a short message, exit 1. */
function explain(error: unknown): string | undefined {
    if (error instanceof ReleaseFileError) return `release:image: ${error.message}`;
    const problem = fileSystemProblem(error);
    return problem === undefined ? undefined : `release:image: ${problem}`;
}

if (require.main === module) runCli(main, USAGE, explain);
