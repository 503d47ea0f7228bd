import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { AutoscalerConfig } from "../../config/autoscaler-config";
import { AutoscalerPki } from "./autoscaler-pki";
import {
    cloudConfigMapData,
    CLUSTER_AUTOSCALER,
    clusterAutoscalerValues,
    configChecksum,
    renderCloudConfig,
    SCALER,
    SCALER_DNS_NAMES,
    SCALER_HOST,
    tlsSecretData,
} from "./autoscaler-values";
import { applyObjects, namespace } from "../shared/cluster-objects";
import { helmRelease } from "../shared/helm-charts";
import { ScalerAccess } from "./scaler-access";
import { autoscalingMonitors, SCALER_TLS_SECRET, scalerObjects } from "./scaler-objects";
import { FederationPool } from "../shared/workload-identity";

/** The autoscaler's per-call timeout: every scaler RPC answers from memory, far inside it. */
export const GRPC_TIMEOUT_SECONDS = 5;

export interface AutoscalingArgs {
    readonly project: string;
    readonly clusterName: string;
    /** The stack the scaler drives: this one. */
    readonly stack: string;
    readonly config: AutoscalerConfig;
    /** Picks the autoscaler's release. */
    readonly kubernetesMinor: number;
    readonly federation: pulumi.Input<FederationPool>;
    readonly nodeServiceAccountEmail: pulumi.Input<string>;
    /** The control-plane node whose disk keeps the scaler's desired scale. */
    readonly stateNode: pulumi.Input<string>;
    /** kube-prometheus-stack, when installed: only the ServiceMonitors wait for it. */
    readonly monitoring?: pulumi.Resource;
    /** The CNI and the control plane: never the worker pool, so a scale update leaves all this alone. */
    readonly after: readonly pulumi.Resource[];
}

/**
 * The Cluster Autoscaler (provider externalgrpc) and our scaler behind it, on the control
 * plane, talking mTLS with certificates this program issues. The scaler acts on Google Cloud
 * and on the state backend as its own service account, through the cluster's federation.
 */
export class Autoscaling extends pulumi.ComponentResource {
    readonly scalerServiceAccountEmail: pulumi.Output<string>;
    readonly release: k8s.helm.v3.Release;

    constructor(name: string, args: AutoscalingArgs, opts?: pulumi.ComponentResourceOptions) {
        super("boutique:platform:Autoscaling", name, {}, opts);
        const parent = { parent: this };
        const { config } = args;
        const access = new ScalerAccess(
            `${name}-access`,
            {
                project: args.project,
                clusterName: args.clusterName,
                federation: args.federation,
                kubernetesServiceAccount: { namespace: SCALER.namespace, name: SCALER.serviceAccount },
                nodeServiceAccountEmail: args.nodeServiceAccountEmail,
                stateBucket: config.stateBackend.bucket,
                kmsKey: config.secretsProvider.kmsKey,
            },
            parent,
        );
        this.scalerServiceAccountEmail = access.serviceAccountEmail;
        const pki = new AutoscalerPki(`${name}-pki`, { clusterName: args.clusterName, serverDnsNames: SCALER_DNS_NAMES }, parent);

        const ns = namespace(SCALER.namespace, {}, { ...parent, dependsOn: [...args.after] });
        const inNamespace = { ...parent, dependsOn: [ns] };
        const scalerTls = new k8s.core.v1.Secret(
            `${name}-scaler-tls`,
            {
                metadata: { name: SCALER_TLS_SECRET, namespace: SCALER.namespace },
                stringData: tlsSecretData({ cert: pki.server.certPem, key: pki.server.keyPem, caCert: pki.caCertPem }),
            },
            inNamespace,
        );
        const cloudConfig = renderCloudConfig({
            address: `${SCALER_HOST}:${SCALER.grpcPort}`,
            certDir: CLUSTER_AUTOSCALER.configDir,
            grpcTimeoutSeconds: GRPC_TIMEOUT_SECONDS,
        });
        const autoscalerConfig = new k8s.core.v1.ConfigMap(
            `${name}-cloud-config-file`,
            { metadata: { name: CLUSTER_AUTOSCALER.configMap, namespace: SCALER.namespace }, data: cloudConfigMapData(cloudConfig) },
            inNamespace,
        );
        // The client side of the mTLS; the resource keeps its name (and the cloud-config moved out of it).
        const autoscalerTls = new k8s.core.v1.Secret(
            `${name}-cloud-config`,
            {
                metadata: { name: CLUSTER_AUTOSCALER.configSecret, namespace: SCALER.namespace },
                stringData: tlsSecretData({ cert: pki.client.certPem, key: pki.client.keyPem, caCert: pki.caCertPem }),
            },
            inNamespace,
        );
        const objects = pulumi.all([args.federation, access.serviceAccountEmail, args.stateNode]).apply(([federation, googleServiceAccount, stateNode]) =>
            scalerObjects({
                image: config.scalerImage,
                stack: args.stack,
                stateBackendUrl: config.stateBackend.url,
                federation,
                googleServiceAccount,
                stateNode,
                updateBudgetMinutes: config.scaleUpdateMinutes,
            }),
        );
        const scaler = applyObjects(`${name}-scaler`, objects, { ...parent, dependsOn: [ns, scalerTls, access] });
        this.release = helmRelease(
            {
                chart: "clusterAutoscaler",
                name: CLUSTER_AUTOSCALER.release,
                valuesFile: "cluster-autoscaler",
                namespace: ns.metadata.name,
                // The scaler re-reads its own certificate files; the autoscaler restarts on this checksum.
                overlay: pulumi.all([pki.client.certPem, pki.caCertPem]).apply(([certPem, caCertPem]) =>
                    clusterAutoscalerValues({
                        clusterName: args.clusterName,
                        kubernetesMinor: args.kubernetesMinor,
                        scaleDownUnneededTime: config.scaleDownUnneededTime,
                        configChecksum: configChecksum({ cloudConfig, certPem, caCertPem }),
                    }),
                ),
            },
            { ...parent, dependsOn: [autoscalerConfig, autoscalerTls, scaler] },
        );
        if (args.monitoring) applyObjects(`${name}-monitors`, autoscalingMonitors(), { ...parent, dependsOn: [args.monitoring, scaler, this.release] });
        this.registerOutputs({ scalerServiceAccountEmail: this.scalerServiceAccountEmail, release: this.release.status });
    }
}
