/**
 * The few @pulumi/pulumi internals the offline renderer needs, in one place. They are not part
 * of the SDK's public API, which is why package.json pins @pulumi/pulumi to an exact version;
 * every program test (test/program.test.ts, test/render/render-cli.test.ts)
 * fails loudly if an upgrade moves them.
 */
import * as settings from "@pulumi/pulumi/runtime/settings";
import * as state from "@pulumi/pulumi/runtime/state";

interface SettingsInternals {
    /** Resolves once every outstanding resource registration has been answered. */
    waitForRPCs(): Promise<void>;
}

interface StateInternals {
    /** The runtime's global store; its `supports*` flags say which engine features are on. */
    getStore(): object;
}

/** What a self-managed (DIY) backend names every stack's organization; the program's reference to its own stack uses it. */
export const DIY_ORGANIZATION = "organization";

/** Installs `monitor` as the resource monitor, as pulumi.runtime.setMocks does, with the same engine features on. */
export function installMonitor(monitor: object, project: string, stack: string): void {
    settings.setMockOptions(monitor, project, stack, false, DIY_ORGANIZATION);
    Object.assign((state as unknown as StateInternals).getStore(), {
        supportsSecrets: true,
        supportsResourceReferences: true,
        supportsOutputValues: false,
        supportsDeletedWith: true,
        supportsAliasSpecs: true,
    });
}

export function waitForRegistrations(): Promise<void> {
    return (settings as unknown as SettingsInternals).waitForRPCs();
}
