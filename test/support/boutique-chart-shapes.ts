/**
 * Objects shaped as Online Boutique's chart (helm-chart/templates, v0.10.6) renders them with
 * serviceAccounts, networkPolicies, sidecars and authorizationPolicies on, externalService and
 * the chart's VirtualService off, in namespace `boutique`. There is no helm binary here, so
 * the transforms are tested on these shapes; each mirrors its template's fields.
 */
type Json = Record<string, unknown>;

const NS = "boutique";

export function chartDeployment(name: string): Json {
    return {
        apiVersion: "apps/v1",
        kind: "Deployment",
        metadata: { name, namespace: NS, labels: { app: name } },
        spec: {
            selector: { matchLabels: { app: name } },
            template: {
                metadata: { labels: { app: name } },
                spec: {
                    serviceAccountName: name,
                    containers: [
                        {
                            name: "server",
                            image: `us-central1-docker.pkg.dev/google-samples/microservices-demo/${name}:v0.10.6`,
                            ports: [{ containerPort: 8080 }],
                        },
                    ],
                },
            },
        },
    };
}

export const chartFrontendService: Json = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "frontend", namespace: NS, labels: { app: "frontend" } },
    spec: { type: "ClusterIP", selector: { app: "frontend" }, ports: [{ name: "http", port: 80, targetPort: 8080 }] },
};

export const chartFrontendNetworkPolicy: Json = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "frontend", namespace: NS },
    spec: {
        podSelector: { matchLabels: { app: "frontend" } },
        policyTypes: ["Ingress", "Egress"],
        ingress: [{ from: [{ podSelector: { matchLabels: { app: "loadgenerator" } } }], ports: [{ port: 8080, protocol: "TCP" }] }],
        egress: [{}],
    },
};

/** A backend that lets the frontend in (cartservice: from frontend and checkoutservice on 7070). */
export const chartCartNetworkPolicy: Json = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "cartservice", namespace: NS },
    spec: {
        podSelector: { matchLabels: { app: "cartservice" } },
        policyTypes: ["Ingress", "Egress"],
        ingress: [
            {
                from: [{ podSelector: { matchLabels: { app: "frontend" } } }, { podSelector: { matchLabels: { app: "checkoutservice" } } }],
                ports: [{ port: 7070, protocol: "TCP" }],
            },
        ],
        egress: [{}],
    },
};

export const chartDenyAllNetworkPolicy: Json = {
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    metadata: { name: "deny-all", namespace: NS },
    spec: { podSelector: {}, policyTypes: ["Ingress", "Egress"] },
};

export const chartFrontendSidecar: Json = {
    apiVersion: "networking.istio.io/v1beta1",
    kind: "Sidecar",
    metadata: { name: "frontend", namespace: NS },
    spec: { workloadSelector: { labels: { app: "frontend" } }, egress: [{ hosts: ["istio-system/*", `./cartservice.${NS}.svc.cluster.local`] }] },
};

export const chartFrontendAuthorizationPolicy: Json = {
    apiVersion: "security.istio.io/v1beta1",
    kind: "AuthorizationPolicy",
    metadata: { name: "frontend", namespace: NS },
    spec: {
        selector: { matchLabels: { app: "frontend" } },
        rules: [
            {
                from: [{ source: { principals: [`cluster.local/ns/${NS}/sa/loadgenerator`] } }],
                to: [{ operation: { methods: ["GET", "POST"], ports: ["8080"] } }],
            },
        ],
    },
};

export const chartCartAuthorizationPolicy: Json = {
    apiVersion: "security.istio.io/v1beta1",
    kind: "AuthorizationPolicy",
    metadata: { name: "cartservice", namespace: NS },
    spec: {
        selector: { matchLabels: { app: "cartservice" } },
        rules: [
            {
                from: [{ source: { principals: [`cluster.local/ns/${NS}/sa/frontend`, `cluster.local/ns/${NS}/sa/checkoutservice`] } }],
                to: [{ operation: { paths: ["/hipstershop.CartService/*"], methods: ["POST"], ports: ["7070"] } }],
            },
        ],
    },
};
