/*
 * shim_yaml.h - a YAML node as JSON, shared by the shims' config readers
 * (mxhs's homeserver.yaml, hs_config.c, and the registration files it
 * hosts, hs_appservice.c; mxm-appservice's appservice.yaml and registration
 * files, as.h). Plain scalars true, false, null, ~ and the empty one become
 * JSON's; with SHIM_YAML_NUMBERS those that read as numbers become numbers
 * too. Quoted scalars stay strings.
 * Anchors and aliases resolve through libyaml's document API. Includes
 * nothing of the project (tools/check-deps.sh, layer "shimcommon").
 */
#ifndef SHIM_YAML_H
#define SHIM_YAML_H

#include <jansson.h>
#include <yaml.h>

#include <stddef.h>

enum { SHIM_YAML_NUMBERS = 1 };

/* A new JSON value for node `n` of `doc`, or NULL when it is NULL, nested
 * deeper than 32, has a key that is not a scalar, or memory ran out. */
json_t *shim_yaml_json(yaml_document_t *doc, yaml_node_t *n, unsigned flags);
/* A whole document (its root node) from a buffer named `name` in errors,
 * or from a file (at most 16 MiB): NULL with the reason in err. */
json_t *shim_yaml_buf(const char *name, const unsigned char *buf, size_t len, unsigned flags,
                      char *err, size_t errlen);
json_t *shim_yaml_file(const char *path, unsigned flags, char *err, size_t errlen);

#endif
