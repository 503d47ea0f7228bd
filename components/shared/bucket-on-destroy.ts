import * as pulumi from "@pulumi/pulumi";
import { BucketsOnDestroy } from "../../config/platform-config";

/**
 * A data bucket's fate on destroy (config `bucketsOnDestroy`). `keep`: Pulumi drops it from the
 * state without deleting it (a bucket with objects cannot be deleted, so a destroy completes
 * either way). `delete`: forceDestroy empties it, every object version included, first.
 */
export function bucketOnDestroy(choice: BucketsOnDestroy): {
    readonly forceDestroy: boolean;
    readonly options: Pick<pulumi.CustomResourceOptions, "retainOnDelete">;
} {
    return choice === "delete" ? { forceDestroy: true, options: { retainOnDelete: false } } : { forceDestroy: false, options: { retainOnDelete: true } };
}
