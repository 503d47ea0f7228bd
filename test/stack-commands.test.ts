import { strict as assert } from "assert";
import * as fs from "fs";
import * as path from "path";
import { Evaluation } from "../render/evaluation";
import { PROJECT_ROOT } from "./fixtures";
import { byName, evaluateBootstrap, evaluateDev, ofType } from "./support/program";
import { renderedSuite } from "./support/platform-render";
import { textOf } from "./support/text";

/**
 * Issue 15: the commands README and docs/ give must fit every stack, so the stack outputs them from what it
 * declares. Each output is checked against the rendered resources it names (dev stack, mock runtime).
 */

interface Firewall {
    readonly sourceRanges?: string[];
    readonly allows: { ports?: string[] }[];
    readonly targetTags: string[];
}

const outputs = (evaluation: Evaluation) => evaluation.stackOutputs as Record<string, unknown>;
const firewalls = (evaluation: Evaluation) => ofType(evaluation, "gcp:compute/firewall:Firewall").map((rule) => rule.inputs as unknown as Firewall);
const admits = (rule: Firewall, port: string) => rule.allows.some((allow) => allow.ports?.includes(port));

describe("stack outputs: commands that fit every stack (issue 15)", function () {
    this.timeout(300_000);
    let dev: Evaluation;
    before(async () => {
        dev = await evaluateDev();
    });

    it("shopUrl: http on HAProxy's public address, which the world may reach on 80 and HAProxy serves", () => {
        const ip = String(outputs(dev).haproxyPublicIp);
        assert.equal(outputs(dev).shopUrl, `http://${ip}/`);
        assert.ok(firewalls(dev).some((rule) => rule.sourceRanges?.includes("0.0.0.0/0") && admits(rule, "80") && rule.targetTags.includes("haproxy")));
        assert.match(dev.artifacts["haproxy-ingress.cfg"], /^\s*bind :80$/m);
    });

    it("sshCommand: cp-0 through the HAProxy bastion, as the program's user with the key file for both hops", () => {
        const { sshUser, haproxyPublicIp } = outputs(dev);
        const cp0 = byName(dev, "cp-0-vm").inputs as { networkInterfaces: { networkIp: string }[] };
        const nodeIp = cp0.networkInterfaces[0].networkIp;
        assert.equal(
            outputs(dev).sshCommand,
            `ssh -i <key file> -o ProxyCommand="ssh -i <key file> -W %h:%p ${textOf(sshUser)}@${textOf(haproxyPublicIp)}" ${textOf(sshUser)}@${nodeIp}`,
        );
        assert.equal(nodeIp, "10.10.0.8");
        // The hops the firewall admits: the admins to HAProxy on 22, HAProxy (the bastion) to the nodes on 22.
        assert.ok(firewalls(dev).some((rule) => rule.sourceRanges !== undefined && admits(rule, "22") && rule.targetTags.includes("haproxy")));
        assert.ok(firewalls(dev).some((rule) => admits(rule, "22") && rule.targetTags.includes("k8s-node")));
    });

    it("iapSshCommand: cp-0's instance by its name, zone and project, and the firewall admits IAP on 22", () => {
        const cp0 = byName(dev, "cp-0-vm").inputs as { name: string; zone: string; project?: string };
        assert.equal(outputs(dev).iapSshCommand, `gcloud compute ssh ${cp0.name} --zone ${cp0.zone} --project boutique-dev-000000 --tunnel-through-iap`);
        assert.equal(cp0.name, "boutique-dev-cp-0");
        assert.ok(firewalls(dev).some((rule) => rule.sourceRanges?.includes("35.235.240.0/20") && admits(rule, "22") && rule.targetTags.includes("k8s-node")));
    });

    it("a new stack's commands name its own cluster (clusterName), not the dev stack's", async () => {
        const other = await evaluateDev({ clusterName: "shop-prod" });
        assert.match(String(outputs(other).iapSshCommand), /^gcloud compute ssh shop-prod-cp-0 /);
    });

    it("the port-forwards and the shop's URL are absent when their layer is off", async () => {
        assert.equal(outputs(dev).grafanaPortForward, "kubectl -n monitoring port-forward svc/grafana 3000:80");
        assert.equal(outputs(dev).kialiPortForward, "kubectl -n istio-system port-forward svc/kiali 20001:20001");
        const bare = outputs(await evaluateDev({ enableKiali: "false", enableBoutique: "false" }));
        assert.deepEqual([bare.kialiPortForward, bare.shopUrl, typeof bare.grafanaPortForward], [undefined, undefined, "string"]);
        const noMonitoring = outputs(await evaluateDev({ enableMonitoring: "false", enableKiali: "false", enableBoutique: "false" }));
        assert.equal(noMonitoring.grafanaPortForward, undefined);
    });

    describe("the port-forwards name Services the charts really render (helm template)", function () {
        const suite = renderedSuite(this);
        it("svc/grafana in monitoring on 80, svc/kiali in istio-system on 20001, svc/argocd-server in argocd on 80 (the stack Argo CD delivers)", async () => {
            const [platform, withArgoCd] = [await suite.platform("dev"), await suite.platform("all-layers")];
            const commands = [
                [platform, outputs(platform.evaluation).grafanaPortForward],
                [platform, outputs(platform.evaluation).kialiPortForward],
                [withArgoCd, outputs(withArgoCd.evaluation).argocdPortForward],
            ] as const;
            for (const [rendered, command] of commands) {
                assert.ok(command, "the stack outputs the command");
                const [, namespace, service, port] = /^kubectl -n (\S+) port-forward svc\/(\S+) \d+:(\d+)$/.exec(textOf(command)) ?? [];
                const found = rendered.objects.find(
                    ({ object }) => object.kind === "Service" && object.metadata?.name === service && object.metadata?.namespace === namespace,
                );
                assert.ok(found, `${textOf(command)}: no Service ${namespace}/${service} in the render`);
                const ports = (found.object as unknown as { spec: { ports: { port: number }[] } }).spec.ports.map((p) => String(p.port));
                assert.ok(ports.includes(port), `${textOf(command)}: ${namespace}/${service} serves ${ports.join(", ")}`);
            }
        });
    });

    it("the bootstrap outputs the secrets provider and state backend, the key ring in its region (not global)", async () => {
        const bootstrap = await evaluateBootstrap();
        const keyRing = ofType(bootstrap, "gcp:kms/keyRing:KeyRing")[0].inputs as { location: string; name: string; project: string };
        assert.notEqual(keyRing.location, "global");
        assert.equal(
            outputs(bootstrap).secretsProvider,
            `gcpkms://projects/${keyRing.project}/locations/${keyRing.location}/keyRings/${keyRing.name}/cryptoKeys/stack-secrets`,
        );
        assert.equal(outputs(bootstrap).secretsProvider, (outputs(bootstrap).ciVariables as Record<string, string>).PULUMI_SECRETS_PROVIDER);
        assert.equal(outputs(bootstrap).stateBackend, (outputs(bootstrap).ciVariables as Record<string, string>).PULUMI_BACKEND_URL);
    });

    it("the scaler image is built for the nodes (amd64): the Dockerfile's command names the platform, and it fetches the CLI per TARGETARCH", () => {
        const dockerfile = fs.readFileSync(path.join(PROJECT_ROOT, "Dockerfile"), "utf8");
        const builds = dockerfile.split("\n").filter((line) => /\b(docker|buildah) build\b/.test(line));
        assert.ok(builds.length > 0);
        for (const build of builds) assert.match(build, /--platform linux\/amd64\b/, build);
        assert.match(dockerfile, /^ARG TARGETARCH/m);
        assert.doesNotMatch(dockerfile, /linux-x64\.tar\.gz/, "a CLI of one architecture whatever the image's");
        // Every machine type the stacks default to is x86 (e2: Intel/AMD): the image must be amd64.
        const project = fs.readFileSync(path.join(PROJECT_ROOT, "Pulumi.yaml"), "utf8");
        const machineTypes = [...project.matchAll(/default: ([a-z]\d[a-z]?-(?:standard|small|medium|micro|highmem|highcpu)\S*)/g)].map((m) => m[1]);
        assert.ok(machineTypes.length > 0);
        for (const type of machineTypes) assert.doesNotMatch(type, /^(t2a|c4a|n4a)-/, `${type} is Arm`);
    });
});
