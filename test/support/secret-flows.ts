import * as fs from "fs";
import * as path from "path";
import { CONTROL_PLANE_PATHS } from "../../components/cluster/rendered/control-plane-files";
import { SHARED_PKI_PATHS } from "../../components/cluster/control-plane-bundle";
import { encodeFileBundle, NodeFile } from "../../components/cluster/rendered/node-files";
import { BOOTSTRAP_TOKEN_PLACEHOLDER } from "../../components/cluster/rendered/kubeadm-config";
import { CONTROL_PLANE_BRING_UP_PATHS, JOIN_PATHS } from "../../components/cluster/rendered/node-scripts";
import { FAKE_FILES, noteLines } from "./secret-fakes";
import { SecretKit } from "./secret-kit";
import { Flow } from "./secret-lab";
import { modeOf } from "./scripts-sandbox";

/** The argv scenarios' stdin bundles and the places their secrets must reach. */

export const JOIN_CONFIG = `kind: JoinConfiguration\ndiscovery:\n  bootstrapToken:\n    token: ${BOOTSTRAP_TOKEN_PLACEHOLDER}\n`;

/** A control plane's bring-up bundle (control-plane-bundle.ts), with the kit's secrets. */
export function controlPlaneBundle(kit: SecretKit, withInitConfig: boolean): string {
    const files: NodeFile[] = [
        { path: SHARED_PKI_PATHS.caKey, mode: "0600", content: kit.caKeyPem },
        { path: SHARED_PKI_PATHS.serviceAccountKey, mode: "0600", content: kit.serviceAccountKeyPem },
        { path: SHARED_PKI_PATHS.frontProxyCaKey, mode: "0600", content: kit.frontProxyCaKeyPem },
        { path: SHARED_PKI_PATHS.etcdCaKey, mode: "0600", content: kit.etcdCaKeyPem },
        { path: CONTROL_PLANE_PATHS.encryptionConfig, mode: "0600", content: kit.encryptionConfig },
        { path: CONTROL_PLANE_BRING_UP_PATHS.bringUpKubeconfig, mode: "0600", content: kit.adminKubeconfig },
        { path: JOIN_PATHS.joinConfig, mode: "0644", content: JOIN_CONFIG },
        ...(withInitConfig ? [{ path: CONTROL_PLANE_BRING_UP_PATHS.initConfig, mode: "0644" as const, content: "kind: InitConfiguration\n" }] : []),
    ];
    return encodeFileBundle(files);
}

export const installedPrivately = (secret: string, file: string, content: (kit: SecretKit) => string): Flow => ({
    secret,
    where: `stdin bundle -> ${file} (0600)`,
    holds: ({ sandbox, kit }) => sandbox.exists(file) && sandbox.read(file) === content(kit) && modeOf(sandbox.path(file)) === "0600",
});

/** The shared PKI and the encryption key a bring-up installs from its bundle. */
export const BRING_UP_INSTALLS: readonly Flow[] = [
    installedPrivately("cluster CA key", SHARED_PKI_PATHS.caKey, (kit) => kit.caKeyPem),
    installedPrivately("service-account signing key", SHARED_PKI_PATHS.serviceAccountKey, (kit) => kit.serviceAccountKeyPem),
    installedPrivately("encryption key", CONTROL_PLANE_PATHS.encryptionConfig, (kit) => kit.encryptionConfig),
];

export const kubeconfigRead = (kind: "admin" | "kubelet"): Flow => ({
    secret: `${kind} client key`,
    where: "kubectl --kubeconfig <file>",
    holds: ({ sandbox }) => noteLines(sandbox, FAKE_FILES.kubeconfigUses).includes(kind),
});

export const TOKEN_MINTED: Flow = {
    secret: "admin client key",
    where: "kubeadm token create --kubeconfig <file>",
    holds: ({ sandbox }) => noteLines(sandbox, FAKE_FILES.tokensMinted).length > 0,
};

/** The attempt's token reached the config kubeadm join read, in full, and nothing else changed in it. */
export const TOKEN_JOINED: Flow = {
    secret: "bootstrap token",
    where: "kubeadm join --config <0600 temp file>",
    holds: ({ sandbox, kit }) => {
        const joined = path.join(sandbox.dir, FAKE_FILES.joinedConfig);
        return (
            fs.existsSync(joined) &&
            fs.readFileSync(joined, "utf8").trimEnd() === JOIN_CONFIG.replace(BOOTSTRAP_TOKEN_PLACEHOLDER, kit.bootstrapToken).trimEnd()
        );
    },
};

export const SSH_KEY_USED: Flow = {
    secret: "SSH join key",
    where: "stdin bundle -> ssh -i <file>",
    holds: ({ sandbox }) => noteLines(sandbox, FAKE_FILES.sshKeyUses).length > 0,
};

/** STS granted an exchange: the host signed its token with the service-account key (openssl, key file). */
export const HOST_TOKEN_SIGNED: Flow = {
    secret: "service-account signing key",
    where: "openssl -sign <key file> -> STS subject_token@<file>",
    holds: ({ google }) => google.granted.length > 0,
};

/** GCS answered calls that carried an access token STS issued (curl -H @<file>). */
export const ACCESS_TOKEN_USED: Flow = {
    secret: "GCS access token",
    where: "curl -H @<authorization file> (GCS answered)",
    holds: ({ tap }) => tap.acceptedBearers.length > 0 && tap.acceptedBearers.every((bearer) => tap.accessTokens.includes(bearer)),
};
