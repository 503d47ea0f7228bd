/**
 * How long a requested worker may take to join, as the scaler tells the Cluster Autoscaler
 * (NodeGroupGetOptions' MaxNodeProvisionDuration). The autoscaler starts counting at
 * IncreaseSize; the scaler runs one update at a time, so a node asked for just after an update
 * started waits for that update and then its own. The budget is therefore twice the longest
 * update (the configured expectation, or the longest of the recent ones if they ran longer), plus
 * a minute for the kubelet's registration to reach the autoscaler's next loop.
 */

/** Recent successful updates the budget looks back on. */
export const RECENT_UPDATES = 10;
/** After the update that joins it: the autoscaler's scan interval (10 s) and its node lister, with room. */
export const REGISTRATION_MARGIN_SECONDS = 60;

/** `recentUpdateSeconds`: the last RECENT_UPDATES successful updates' durations (the caller keeps them). */
export function provisionBudgetSeconds(scaleUpdateSeconds: number, recentUpdateSeconds: readonly number[], autoscalerDefaultSeconds = 0): number {
    const longest = Math.max(scaleUpdateSeconds, ...recentUpdateSeconds);
    return Math.max(autoscalerDefaultSeconds, Math.ceil(2 * longest + REGISTRATION_MARGIN_SECONDS));
}

/**
 * A requested worker still not created this long after the request is reported failed
 * (InstanceErrorInfo), so the autoscaler backs off and cancels it before its budget runs out
 * rather than count it as upcoming past the budget: a node that joins does so inside its budget.
 */
export function provisionDeadlineSeconds(budgetSeconds: number): number {
    return budgetSeconds - REGISTRATION_MARGIN_SECONDS;
}

/** google.protobuf.Duration as proto-loader hands it over (`longs: String`): autoscaler 1.34.2 on. */
export interface ProtoDuration {
    readonly seconds: string | number;
    readonly nanos?: number;
}

/** k8s.io/apimachinery's meta/v1 Duration, in nanoseconds: autoscaler up to 1.34.1. */
export interface MetaDuration {
    readonly duration: string | number;
}

/** NodeGroupAutoscalingOptions (scaler/proto/cloudprovider.proto: both generations of the autoscaler's fields). */
export interface AutoscalingOptions {
    readonly scaleDownUtilizationThreshold: number;
    readonly scaleDownGpuUtilizationThreshold: number;
    readonly zeroOrMaxNodeScaling: boolean;
    readonly ignoreDaemonSetsUtilization: boolean;
    readonly scaleDownUnneededTime: MetaDuration | null;
    readonly scaleDownUnreadyTime: MetaDuration | null;
    readonly MaxNodeProvisionTime: MetaDuration | null;
    readonly scaleDownUnneededDuration: ProtoDuration | null;
    readonly scaleDownUnreadyDuration: ProtoDuration | null;
    readonly MaxNodeProvisionDuration: ProtoDuration | null;
}

const NANOS = 1e9;

/** Seconds from whichever of a pair the autoscaler sent (the newer field first), or undefined. */
export function secondsOf(newer: ProtoDuration | null | undefined, older: MetaDuration | null | undefined): number | undefined {
    if (newer) return Number(newer.seconds) + (newer.nanos ?? 0) / NANOS;
    if (older) return Number(older.duration) / NANOS;
    return undefined;
}

const both = (seconds: number) => {
    const whole = Math.ceil(seconds);
    return { meta: { duration: String(whole * NANOS) }, proto: { seconds: String(whole), nanos: 0 } };
};

/** The autoscaler's own flag defaults (its main.go), for a field a request leaves unset. */
const FLAG_DEFAULTS = {
    scaleDownUtilizationThreshold: 0.5,
    scaleDownGpuUtilizationThreshold: 0.5,
    scaleDownUnneededSeconds: 600,
    scaleDownUnreadySeconds: 1200,
};

/**
 * The group's options: the autoscaler's defaults, as sent, with the provisioning budget. Every
 * duration is set, in both generations of fields: the autoscaler replaces its options with the
 * response wholesale, and 1.32 dereferences each duration (an unset one crashes it).
 */
export function groupOptions(defaults: Partial<AutoscalingOptions> | undefined, budgetSeconds: number): AutoscalingOptions {
    const given = defaults ?? {};
    const unneeded = both(secondsOf(given.scaleDownUnneededDuration, given.scaleDownUnneededTime) ?? FLAG_DEFAULTS.scaleDownUnneededSeconds);
    const unready = both(secondsOf(given.scaleDownUnreadyDuration, given.scaleDownUnreadyTime) ?? FLAG_DEFAULTS.scaleDownUnreadySeconds);
    const provision = both(Math.max(budgetSeconds, secondsOf(given.MaxNodeProvisionDuration, given.MaxNodeProvisionTime) ?? 0));
    return {
        scaleDownUtilizationThreshold: given.scaleDownUtilizationThreshold ?? FLAG_DEFAULTS.scaleDownUtilizationThreshold,
        scaleDownGpuUtilizationThreshold: given.scaleDownGpuUtilizationThreshold ?? FLAG_DEFAULTS.scaleDownGpuUtilizationThreshold,
        zeroOrMaxNodeScaling: given.zeroOrMaxNodeScaling ?? false,
        ignoreDaemonSetsUtilization: given.ignoreDaemonSetsUtilization ?? false,
        scaleDownUnneededTime: unneeded.meta,
        scaleDownUnreadyTime: unready.meta,
        MaxNodeProvisionTime: provision.meta,
        scaleDownUnneededDuration: unneeded.proto,
        scaleDownUnreadyDuration: unready.proto,
        MaxNodeProvisionDuration: provision.proto,
    };
}
