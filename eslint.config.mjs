// ESLint for the whole project: typescript-eslint's type-aware recommended rules over every file
// tsconfig.json compiles; formatting is Prettier's (eslint-config-prettier turns off what it owns).
import js from "@eslint/js";
import prettier from "eslint-config-prettier";
import tseslint from "typescript-eslint";

export default tseslint.config(
    { ignores: ["node_modules/", "out/", "bin/", ".gitlab-ci-local/", ".charts/", ".tools/", "policy/node_modules/"] },
    js.configs.recommended,
    ...tseslint.configs.recommendedTypeChecked,
    {
        languageOptions: {
            parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
        },
    },
    {
        rules: {
            // Fakes and ports implement Promise-returning interfaces (the scaler's StackPort, the
            // Automation API's Stack) with methods that have nothing to await.
            "@typescript-eslint/require-await": "off",
        },
    },
    // This file itself is plain JavaScript, outside tsconfig.json.
    { files: ["eslint.config.mjs"], ...tseslint.configs.disableTypeChecked },
    prettier,
);
