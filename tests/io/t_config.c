/* The config parser: defaults, every key, the canonical JSON round trip
 * (doubles bit for bit), and every way a config is rejected (each with code
 * 2, the source named, the offending key named). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "src/config.h"
#include "testutil.h"

static const char *const WHERE = "case.safetensors";

static int parse(const char *json, ar_config *c, ar_error *err) {
  ar_error_clear(err);
  return ar_config_parse(json, WHERE, c, err);
}

static void defaults(void) {
  ar_config c;
  ar_error err;
  int rc = parse("{\"n\":3,\"d\":4,\"heads\":2,\"layers\":5}", &c, &err);
  CHECK(rc == 0, "minimal config: %s", err.msg);
  CHECK(c.n == 3 && c.d == 4 && c.heads == 2 && c.layers == 5, "sizes");
  CHECK(c.causal == 0 && c.residual == 1, "causal false, residual true");
  CHECK(c.norm == AR_NORM_NONE && c.norm_eps == 1e-5, "norm none, eps 1e-5");
  CHECK(c.mlp == 0 && c.act == AR_ACT_RELU && c.loss == AR_LOSS_MSE, "mlp, act, loss");
  CHECK(c.has_scale == 0, "scale null");
  CHECK(ar_config_head_dim(&c) == 2, "head dim");
}

static void every_key(void) {
  ar_config c;
  ar_error err;
  int rc = parse(
      "{\"n\":64,\"d\":16,\"heads\":2,\"layers\":3,\"causal\":true,"
      "\"residual\":false,\"norm\":\"rmsnorm\",\"norm_eps\":1e-6,\"mlp\":32,"
      "\"activation\":\"gelu\",\"loss\":\"xent\",\"vocab\":50,\"scale\":0.125}",
      &c, &err);
  CHECK(rc == 0, "full config: %s", err.msg);
  CHECK(c.n == 64 && c.d == 16 && c.heads == 2 && c.layers == 3, "sizes");
  CHECK(c.causal == 1 && c.residual == 0, "flags");
  CHECK(c.norm == AR_NORM_RMS && c.norm_eps == 1e-6, "norm");
  CHECK(c.mlp == 32 && c.act == AR_ACT_GELU, "mlp");
  CHECK(c.loss == AR_LOSS_XENT && c.vocab == 50, "loss");
  CHECK(c.has_scale && c.scale == 0.125, "scale");
  rc = parse("{\"n\":1,\"d\":1,\"heads\":1,\"layers\":1,\"norm\":\"layernorm\","
             "\"loss\":\"linear\",\"activation\":\"relu\",\"scale\":null,"
             "\"n\":1}",
             &c, &err);
  CHECK(rc == AR_FAIL_INPUT && strstr(err.msg, "config key \"n\": appears twice"),
        "duplicate key: %s", err.msg);
  rc = parse("{\"n\":1,\"d\":1,\"heads\":1,\"layers\":1,\"norm\":\"layernorm\","
             "\"loss\":\"linear\",\"norm_eps\":0.1}",
             &c, &err);
  CHECK(rc == 0 && c.norm == AR_NORM_LAYER && c.loss == AR_LOSS_LINEAR &&
            c.norm_eps == 0.1,
        "layernorm/linear: %s", err.msg);
  /* Integral doubles are integers; the text of the number does not matter. */
  rc = parse("{\"n\":4.0,\"d\":1e1,\"heads\":5,\"layers\":1}", &c, &err);
  CHECK(rc == 0 && c.n == 4 && c.d == 10, "4.0 and 1e1: %s", err.msg);
}

static int same_double(double a, double b) { return memcmp(&a, &b, 8) == 0; }

static int same_config(const ar_config *a, const ar_config *b) {
  return a->n == b->n && a->d == b->d && a->heads == b->heads &&
         a->layers == b->layers && a->mlp == b->mlp && a->vocab == b->vocab &&
         a->causal == b->causal && a->residual == b->residual &&
         a->norm == b->norm && same_double(a->norm_eps, b->norm_eps) &&
         a->act == b->act && a->loss == b->loss &&
         a->has_scale == b->has_scale &&
         (!a->has_scale || same_double(a->scale, b->scale));
}

/* to_json then parse gives back the same config, doubles bit for bit. */
static void canonical_round_trip(uint64_t seed) {
  uint64_t rng = seed;
  for (int trial = 0; trial < 2000; trial++) {
    ar_config a, b;
    ar_error err = {0};
    ar_config_defaults(&a);
    a.heads = 1 + (int64_t)(t_rand(&rng) % 4);
    a.d = a.heads * (1 + (int64_t)(t_rand(&rng) % 8));
    a.n = 1 + (int64_t)(t_rand(&rng) % 100);
    a.layers = 1 + (int64_t)(t_rand(&rng) % 4);
    a.causal = (int)(t_rand(&rng) & 1);
    a.residual = (int)(t_rand(&rng) & 1);
    a.norm = (ar_norm)(t_rand(&rng) % 3);
    a.act = (ar_act)(t_rand(&rng) % 2);
    a.loss = (ar_loss)(t_rand(&rng) % 3);
    a.mlp = (int64_t)(t_rand(&rng) % 3) * 7;
    a.vocab = a.loss == AR_LOSS_XENT ? 1 + (int64_t)(t_rand(&rng) % 50) : 0;
    a.norm_eps = ldexp(1.0 + t_uniform(&rng), -(int)(t_rand(&rng) % 40));
    a.has_scale = (int)(t_rand(&rng) & 1);
    a.scale = a.has_scale ? (t_uniform(&rng) - 0.5) * 1e3 : 0.0;
    char *json = ar_config_to_json(&a);
    int rc = ar_config_parse(json, WHERE, &b, &err);
    CHECK(rc == 0, "seed %llu: %s does not parse back: %s",
          (unsigned long long)seed, json, err.msg);
    CHECK(rc || same_config(&a, &b), "seed %llu: %s reads back different",
          (unsigned long long)seed, json);
    const char *keys[] = {"\"n\":", "\"d\":", "\"heads\":", "\"layers\":",
                          "\"causal\":", "\"residual\":", "\"norm\":",
                          "\"norm_eps\":", "\"mlp\":", "\"activation\":",
                          "\"loss\":", "\"vocab\":", "\"scale\":"};
    for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
      CHECK(strstr(json, keys[k]), "%s lacks %s", json, keys[k]);
    CHECK(a.has_scale || strstr(json, "\"scale\":null"), "%s", json);
    free(json);
  }
}

/* json must be rejected with code 2, naming WHERE and containing `says`. */
static void rejects(const char *json, const char *says) {
  ar_config c;
  ar_error err;
  int rc = parse(json, &c, &err);
  CHECK(rc == AR_FAIL_INPUT, "accepted (rc %d): %s", rc, json);
  CHECK(strstr(err.msg, WHERE) && strstr(err.msg, says),
        "message for %s is \"%s\", wanted \"%s\"", json, err.msg, says);
}

#define BASE "\"n\":4,\"d\":4,\"heads\":2,\"layers\":1"

static void errors(void) {
  rejects("{" BASE ",\"nomr\":\"layernorm\"}", "config key \"nomr\": unknown key");
  rejects("{" BASE ",\"Causal\":true}", "config key \"Causal\": unknown key");
  rejects("{\"n\":4,\"d\":6,\"heads\":4,\"layers\":1}", "not divisible by heads");
  rejects("{" BASE ",\"loss\":\"xent\"}", "vocab");
  rejects("{" BASE ",\"loss\":\"xent\",\"vocab\":0}", "vocab");
  rejects("{\"d\":4,\"heads\":2,\"layers\":1}", "config key \"n\": missing");
  rejects("{\"n\":4,\"d\":4,\"heads\":2}", "config key \"layers\": missing");
  rejects("{\"n\":1.5,\"d\":4,\"heads\":2,\"layers\":1}", "\"n\"");
  rejects("{\"n\":\"4\",\"d\":4,\"heads\":2,\"layers\":1}", "\"n\"");
  rejects("{\"n\":true,\"d\":4,\"heads\":2,\"layers\":1}", "\"n\"");
  rejects("{\"n\":-4,\"d\":4,\"heads\":2,\"layers\":1}", "\"n\"");
  rejects("{\"n\":0,\"d\":4,\"heads\":2,\"layers\":1}", "\"n\"");
  rejects("{\"n\":4,\"d\":4,\"heads\":2,\"layers\":0}", "\"layers\"");
  rejects("{\"n\":1099511627777,\"d\":4,\"heads\":2,\"layers\":1}", "\"n\"");
  rejects("{\"n\":1e300,\"d\":4,\"heads\":2,\"layers\":1}", "\"n\"");
  rejects("{" BASE ",\"mlp\":-1}", "\"mlp\"");
  rejects("{" BASE ",\"causal\":1}", "\"causal\"");
  rejects("{" BASE ",\"residual\":\"yes\"}", "\"residual\"");
  rejects("{" BASE ",\"norm\":\"batchnorm\"}", "\"norm\"");
  rejects("{" BASE ",\"activation\":\"tanh\"}", "\"activation\"");
  rejects("{" BASE ",\"loss\":\"l1\"}", "\"loss\"");
  rejects("{" BASE ",\"norm_eps\":0}", "norm_eps");
  rejects("{" BASE ",\"norm_eps\":-1e-5}", "norm_eps");
  rejects("{" BASE ",\"norm_eps\":\"1e-5\"}", "norm_eps");
  rejects("{" BASE ",\"scale\":\"auto\"}", "scale");
  rejects("{" BASE ",}", "not valid JSON");
  rejects("[4,4,2,1]", "not a JSON object");
  rejects("", "not valid JSON");
  /* Sizes whose products overflow a 64-bit byte count. */
  rejects("{\"n\":1073741824,\"d\":1,\"heads\":1,\"layers\":1}", "n*n*heads");
  rejects("{\"n\":1,\"d\":1099511627776,\"heads\":1,\"layers\":1}", "d*d*layers");
  rejects("{\"n\":1,\"d\":1048576,\"heads\":1,\"layers\":1048576}", "d*d*layers");
  rejects("{\"n\":1,\"d\":1048576,\"heads\":1,\"layers\":1,\"mlp\":1099511627776}",
          "d*mlp*layers");
  rejects("{\"n\":1,\"d\":1048576,\"heads\":1,\"layers\":1,\"loss\":\"xent\","
          "\"vocab\":1099511627776}",
          "d*vocab");
  /* ... and the largest that fit are accepted: (2^30-1)^2 * 8 < 2^63. */
  ar_config c;
  ar_error err;
  int rc = parse("{\"n\":1073741823,\"d\":1,\"heads\":1,\"layers\":1}", &c, &err);
  CHECK(rc == 0, "n = 2^30-1 should fit: %s", err.msg);
  /* A hostile key cannot break the one-line message. */
  rc = parse("{" BASE ",\"a\\nb\":1}", &c, &err);
  CHECK(rc == AR_FAIL_INPUT && !strchr(err.msg, '\n'), "newline in key: %s", err.msg);
  /* validate() on its own, as gen uses it */
  ar_config_defaults(&c);
  c.n = 2, c.d = 3, c.heads = 2, c.layers = 1;
  ar_error_clear(&err);
  CHECK(ar_config_validate(&c, "--config", &err) == AR_FAIL_INPUT &&
            strstr(err.msg, "--config"),
        "validate: %s", err.msg);
}

int main(void) {
  uint64_t seed = t_seed("t-config");
  defaults();
  every_key();
  canonical_round_trip(seed);
  errors();
  return t_done("t-config");
}
