import * as crypto from "crypto";
import * as fs from "fs";
import * as tls from "tls";
import * as grpc from "@grpc/grpc-js";
import type { Logger } from "pino";

/** The server's certificate and key and the CA its clients' certificates must chain to (PEM files). */
export interface TlsFiles {
    readonly cert: string;
    readonly key: string;
    readonly ca: string;
    /** How often the files are read again. */
    readonly refreshSeconds: number;
}

export interface ReloadingCredentials {
    readonly credentials: grpc.ServerCredentials;
    /**
     * Call once the server is bound: resolves when it holds its first certificate (the files are
     * read asynchronously, and until then a connection would be dropped), and from then on logs
     * every new certificate the server picks up.
     */
    watch(log: Logger): Promise<void>;
}

/**
 * mTLS credentials that follow their files. The certificates are renewed by `pulumi up` and
 * reach the pod's Secret volume without a restart, so the files are read again every
 * refreshSeconds (grpc-js's FileWatcherCertificateProvider) and a new certificate, key or CA
 * serves new connections; open connections keep the one they began with. The files are
 * checked once at start, so a missing or mismatched pair still stops the scaler there.
 */
export function reloadingCredentials(files: TlsFiles): ReloadingCredentials {
    const read = (file: string) => fs.readFileSync(file);
    tls.createSecureContext({ cert: read(files.cert), key: read(files.key), ca: read(files.ca) });
    const provider = new grpc.experimental.FileWatcherCertificateProvider({
        certificateFile: files.cert,
        privateKeyFile: files.key,
        caCertificateFile: files.ca,
        refreshIntervalMs: files.refreshSeconds * 1000,
    });
    // grpc-js 1.14 declares (caProvider, identityProvider) but builds (identity, ca) from them: one
    // provider serves both. true: a client certificate signed by the CA is required.
    const credentials = grpc.experimental.createCertificateProviderServerCredentials(provider, provider, true);
    return { credentials, watch: (log) => watchIdentity(provider, log) };
}

function watchIdentity(provider: grpc.experimental.CertificateProvider, log: Logger): Promise<void> {
    let last: string | undefined;
    return new Promise((resolve) => {
        // Added after the server's own listener (the server subscribes when it binds), so each
        // update reaches the server first: resolved here means the server has it.
        provider.addIdentityCertificateListener((update) => {
            if (update === null) {
                log.error("the certificate or key file is unreadable: new connections are refused until it is back");
                return;
            }
            try {
                const certificate = new crypto.X509Certificate(update.certificate);
                const serial = certificate.serialNumber;
                const matches = certificate.checkPrivateKey(crypto.createPrivateKey(update.privateKey));
                // Every read reports the files; only a change is worth a line.
                if (`${serial}/${matches}` !== last) {
                    last = `${serial}/${matches}`;
                    // A pair caught mid-rotation is refused by grpc-js (it keeps no old one): say so; the next read fixes it.
                    if (!matches) log.error({ serial }, "the certificate and key files do not match: new connections are refused until the next read");
                    else log.info({ serial, notAfter: certificate.validTo }, "server certificate loaded");
                }
            } catch (error) {
                log.error({ err: error }, "the certificate file does not parse: new connections are refused until it is fixed");
            }
            resolve();
        });
    });
}
