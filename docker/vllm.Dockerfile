# The casola-worker images. Build context: the repository root (docker/build.sh builds them).
#
#   vLLM:       docker build -f docker/vllm.Dockerfile -t casola-worker-vllm .
#   vLLM-Omni:  docker build -f docker/vllm.Dockerfile -t casola-worker-vllm-omni \
#                 --build-arg BASE_IMAGE=vllm/vllm-omni:v0.14.0 \
#                 --build-arg VLLM_SERVE_COMMAND=vllm-omni \
#                 --build-arg LINK_PYTHON_PACKAGE=vllm_omni .
#   local:      docker build -f docker/vllm.Dockerfile --target local -t casola-worker-local .
#               (Node only, no GPU: the worker on the mock vLLM; docker/compose.yaml uses it)

# The vLLM image the worker runs on. The tag is the one the reference pins: bump it deliberately,
# after running a real model on it.
ARG BASE_IMAGE=vllm/vllm-openai:v0.15.1
# Compiles the TypeScript; its `node` binary is copied into the worker image.
ARG NODE_IMAGE=node:24-bookworm-slim

# ---- build: compile, then keep production dependencies only
FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm npm ci --no-audit --no-fund
# .dockerignore lets in only what the build needs.
COPY . .
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

# ---- local: the app on plain Node, for the mock vLLM (no GPU)
FROM ${NODE_IMAGE} AS local
WORKDIR /app
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --chmod=755 docker/entrypoint.sh ./
RUN ln -s /app/dist/cli.js /usr/local/bin/casola-worker && casola-worker --version
# Node's flags for the worker (package.json config.nodeFlags, which the image check compares):
# a young generation of 16 MiB semi-spaces, where V8 would grow it to 64 under the worker's
# allocation rate and spend more CPU per job (README "Running it for real").
ENV NODE_OPTIONS="--max-semi-space-size=16"
ENV VLLM_SERVE_COMMAND="casola-worker mock-vllm"
ENTRYPOINT ["/app/entrypoint.sh"]
CMD ["casola-worker", "run"]

# ---- worker (the default target): the app on the vLLM base
FROM ${BASE_IMAGE} AS worker
# The executable the worker starts as `$VLLM_SERVE_COMMAND serve MODEL ...`.
ARG VLLM_SERVE_COMMAND=vllm
# A Python package linked into /app, the worker's working folder, so that relative paths into it
# resolve (vllm_omni: `--stage-configs-path vllm_omni/...`). Empty: none.
ARG LINK_PYTHON_PACKAGE=

# The base registers CUDA forward-compat libraries with the loader. They are for hosts whose
# driver is older than the image's CUDA; on a newer host driver they shadow it and CUDA fails with
# "unsupported display driver / cuda driver combination". The NVIDIA container runtime mounts the
# host's driver into the system library folder, where the loader finds it without them.
RUN for conf in /etc/ld.so.conf.d/*.conf; do \
      if grep -qs '/compat' "$conf"; then echo "removing $conf"; rm -f "$conf"; fi; \
    done \
 && ldconfig

WORKDIR /app
COPY --from=build /usr/local/bin/node /usr/local/bin/node
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
COPY --chmod=755 docker/entrypoint.sh ./
# find_spec locates the package without importing it (importing vllm_omni initialises CUDA).
RUN ln -s /app/dist/cli.js /usr/local/bin/casola-worker \
 && casola-worker --version \
 && if [ -n "$LINK_PYTHON_PACKAGE" ]; then \
      where='import importlib.util as u, sys; print(u.find_spec(sys.argv[1]).submodule_search_locations[0])' \
      && dir=$(python3 -c "$where" "$LINK_PYTHON_PACKAGE") \
      && ln -s "$dir" "/app/$LINK_PYTHON_PACKAGE" \
      && echo "linked /app/$LINK_PYTHON_PACKAGE -> $dir"; \
    fi

# Node's flags for the worker (package.json config.nodeFlags, which the image check compares):
# a young generation of 16 MiB semi-spaces, where V8 would grow it to 64 under the worker's
# allocation rate and spend more CPU per job (README "Running it for real").
ENV NODE_OPTIONS="--max-semi-space-size=16"
ENV VLLM_HOST=127.0.0.1 \
    VLLM_PORT=8000 \
    VLLM_SERVE_COMMAND=${VLLM_SERVE_COMMAND}
ENTRYPOINT ["/app/entrypoint.sh"]
CMD ["casola-worker", "run"]
