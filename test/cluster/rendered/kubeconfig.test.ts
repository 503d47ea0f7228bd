import { strict as assert } from "assert";
import { parse } from "yaml";
import { renderKubeconfig } from "../../../components/cluster/rendered/kubeconfig";

interface Kubeconfig {
    clusters: { name: string; cluster: { server: string; "certificate-authority-data": string } }[];
    users: { name: string; user: { "client-certificate-data": string; "client-key-data": string } }[];
    contexts: { name: string; context: { cluster: string; user: string } }[];
    "current-context": string;
}

describe("kubeconfig", () => {
    const input = {
        clusterName: "boutique-dev",
        server: "https://203.0.113.10:6443",
        caCertPem: "CA PEM\n",
        userName: "admin",
        clientCertPem: "CERT PEM\n",
        clientKeyPem: "KEY PEM\n",
    };
    const config = parse(renderKubeconfig(input)) as Kubeconfig;
    const decode = (data: string) => Buffer.from(data, "base64").toString("utf8");

    it("embeds the CA, the client certificate and key as base64 data", () => {
        assert.equal(decode(config.clusters[0].cluster["certificate-authority-data"]), "CA PEM\n");
        assert.equal(decode(config.users[0].user["client-certificate-data"]), "CERT PEM\n");
        assert.equal(decode(config.users[0].user["client-key-data"]), "KEY PEM\n");
        assert.equal(config.clusters[0].cluster.server, "https://203.0.113.10:6443");
    });

    it("its current context resolves to that cluster and user", () => {
        const context = config.contexts.find((c) => c.name === config["current-context"]);
        assert.deepEqual(context?.context, { cluster: "boutique-dev", user: "admin" });
    });

    it("refuses a server that is not https://host:port", () => {
        assert.throws(() => renderKubeconfig({ ...input, server: "http://203.0.113.10:6443" }), /must be https:\/\/host:port/);
    });
});
