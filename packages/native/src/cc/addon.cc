// The N-API surface of the addon (plain C N-API, no npm dependency). Every buffer comes in as a typed
// array owned by JavaScript and is read or written in place for the duration of the call; the native
// objects are a Net (a training step's scratch space) and an Inference (a model for generation, with its
// own copy of the weights), each held by a JS external.
#include <node_api.h>

#include <cmath>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <vector>

#include "cell.h"
#include "infer.h"
#include "kernels.h"
#include "net.h"
#include "policy.h"

extern "C" {
void openblas_set_num_threads(int);
int openblas_get_num_threads(void);
char* openblas_get_corename(void);
char* openblas_get_config(void);
}

namespace {

using rnnlab::Net;

struct JsError : std::exception {
  std::string message;
  explicit JsError(std::string m) : message(std::move(m)) {}
};

#define CHECK(call)                                                  \
  do {                                                               \
    if ((call) != napi_ok) throw JsError("N-API call failed: " #call); \
  } while (0)

struct Args {
  napi_env env;
  std::vector<napi_value> v;
  Args(napi_env e, napi_callback_info info, size_t want) : env(e), v(want) {
    size_t n = want;
    CHECK(napi_get_cb_info(e, info, &n, v.data(), nullptr, nullptr));
    if (n < want) throw JsError("expected " + std::to_string(want) + " arguments, got " + std::to_string(n));
  }

  bool isNull(size_t i) const {
    napi_valuetype t;
    CHECK(napi_typeof(env, v[i], &t));
    return t == napi_null || t == napi_undefined;
  }

  double number(size_t i) const {
    double d;
    if (napi_get_value_double(env, v[i], &d) != napi_ok) throw JsError("argument " + std::to_string(i) + " must be a number");
    return d;
  }

  int integer(size_t i) const {
    const double d = number(i);
    if (d != std::floor(d) || d < 0 || d > 1e9) throw JsError("argument " + std::to_string(i) + " must be a non-negative integer");
    return int(d);
  }

  template <typename T>
  T* typed(size_t i, napi_typedarray_type want, size_t* length, const char* what) const {
    bool is = false;
    CHECK(napi_is_typedarray(env, v[i], &is));
    if (!is) throw JsError(std::string(what) + " must be a typed array");
    napi_typedarray_type type;
    void* data = nullptr;
    CHECK(napi_get_typedarray_info(env, v[i], &type, length, &data, nullptr, nullptr));
    if (type != want) throw JsError(std::string(what) + " has the wrong element type");
    return static_cast<T*>(data);
  }

  float* floats(size_t i, size_t expect, const char* what) const {
    size_t n = 0;
    float* p = typed<float>(i, napi_float32_array, &n, what);
    if (n != expect) throw JsError(std::string(what) + ": expected " + std::to_string(expect) + " floats, got " + std::to_string(n));
    return p;
  }

  Net* net(size_t i) const {
    void* p = nullptr;
    if (napi_get_value_external(env, v[i], &p) != napi_ok || !p) throw JsError("argument 0 must be a net from createNet");
    return static_cast<Net*>(p);
  }
};

napi_value number(napi_env env, double d) {
  napi_value out;
  CHECK(napi_create_double(env, d, &out));
  return out;
}

napi_value string(napi_env env, const std::string& s) {
  napi_value out;
  CHECK(napi_create_string_utf8(env, s.c_str(), s.size(), &out));
  return out;
}

template <typename F>
napi_value guarded(napi_env env, F&& body) {
  try {
    return body();
  } catch (const JsError& e) {
    napi_throw_error(env, nullptr, e.message.c_str());
  } catch (const std::exception& e) {
    napi_throw_error(env, nullptr, e.what());
  }
  return nullptr;
}

// A model's description (createNet's and createInference's first argument), with named fields (see
// nativeLayout in src/engine.ts): { vocab, numLayers, directions, hidden, outputWidth, objective,
// outputW, outputB, paramCount, units: [{ cell, layer, direction, input, projections: [{ name, gates,
// w, bih, bhh }] }] }, offsets in floats into the flat parameter buffer. `cell` is the core's cell kind,
// looked up in the native cells' table (cell.h); each projection's gate count must be the cell's.
struct Reader {
  napi_env env;
  std::string where;

  napi_value field(napi_value obj, const char* name) const {
    bool has = false;
    napi_valuetype t;
    CHECK(napi_typeof(env, obj, &t));
    if (t != napi_object) throw JsError(where + " must be an object");
    CHECK(napi_has_named_property(env, obj, name, &has));
    if (!has) throw JsError(where + "." + name + " is missing");
    napi_value v;
    CHECK(napi_get_named_property(env, obj, name, &v));
    return v;
  }

  int64_t integer(napi_value obj, const char* name) const {
    double d;
    if (napi_get_value_double(env, field(obj, name), &d) != napi_ok || d != std::floor(d) || d < 0 || d > 9e15)
      throw JsError(where + "." + name + " must be a non-negative integer");
    return int64_t(d);
  }

  std::string text(napi_value obj, const char* name) const {
    napi_value v = field(obj, name);
    size_t n = 0;
    if (napi_get_value_string_utf8(env, v, nullptr, 0, &n) != napi_ok) throw JsError(where + "." + name + " must be a string");
    std::string out(n, '\0');
    CHECK(napi_get_value_string_utf8(env, v, out.data(), n + 1, &n));
    return out;
  }

  std::vector<napi_value> list(napi_value obj, const char* name) const {
    napi_value v = field(obj, name);
    bool is = false;
    CHECK(napi_is_array(env, v, &is));
    if (!is) throw JsError(where + "." + name + " must be an array");
    uint32_t n = 0;
    CHECK(napi_get_array_length(env, v, &n));
    std::vector<napi_value> out(n);
    for (uint32_t i = 0; i < n; i++) CHECK(napi_get_element(env, v, i, &out[i]));
    return out;
  }

  Reader at(const std::string& more) const { return {env, where + more}; }
};

rnnlab::NetDesc readDesc(const Args& args, size_t i) {
  const napi_value obj = args.v[i];
  const Reader r{args.env, "desc"};
  rnnlab::NetDesc desc;
  desc.vocab = int(r.integer(obj, "vocab"));
  desc.numLayers = int(r.integer(obj, "numLayers"));
  desc.directions = int(r.integer(obj, "directions"));
  desc.hidden = int(r.integer(obj, "hidden"));
  desc.outWidth = int(r.integer(obj, "outputWidth"));
  const std::string objective = r.text(obj, "objective");
  if (objective != "next" && objective != "cloze") throw JsError("desc.objective: the native engine has no objective " + objective);
  desc.cloze = objective == "cloze";
  desc.outW = r.integer(obj, "outputW");
  desc.outB = r.integer(obj, "outputB");
  desc.paramCount = r.integer(obj, "paramCount");
  const std::vector<napi_value> units = r.list(obj, "units");
  const int64_t H = desc.hidden;
  auto inRange = [&](int64_t off, int64_t size) { return off >= 0 && size >= 0 && off + size <= desc.paramCount; };
  if (desc.vocab < 2 || desc.numLayers < 1 || desc.directions < 1 || H < 1 || desc.outWidth != H * desc.directions ||
      int64_t(units.size()) != int64_t(desc.numLayers) * desc.directions || !inRange(desc.outW, int64_t(desc.outWidth) * desc.vocab) ||
      !inRange(desc.outB, desc.vocab) || (desc.cloze && desc.directions != 2))
    throw JsError("desc is inconsistent");
  for (size_t u = 0; u < units.size(); u++) {
    const Reader ru = r.at(".units[" + std::to_string(u) + "]");
    rnnlab::Unit un;
    const std::string kind = ru.text(units[u], "cell");
    un.cell = rnnlab::findCell(kind);
    if (!un.cell) throw JsError(ru.where + ".cell: the native engine has no cell " + kind);
    un.layer = int(ru.integer(units[u], "layer"));
    un.dir = int(ru.integer(units[u], "direction"));
    un.input = int(ru.integer(units[u], "input"));
    const std::vector<int> gates = un.cell->projections();
    const std::vector<napi_value> projs = ru.list(units[u], "projections");
    if (projs.size() != gates.size() || un.layer != int(u) / desc.directions || un.dir != int(u) % desc.directions || un.input < 1)
      throw JsError("desc: unit " + std::to_string(u) + " is inconsistent");
    // The first layer reads the one-hot tokens; every other layer reads the layer below, all of its
    // directions side by side (under cloze its own direction's). Any other width would make the
    // kernels read past the input buffers.
    const int64_t inputWidth = un.layer == 0 ? int64_t(desc.vocab) : desc.cloze ? H : H * desc.directions;
    if (un.input != inputWidth)
      throw JsError("desc: unit " + std::to_string(u) + " reads " + std::to_string(un.input) + " inputs, but " +
                    (un.layer == 0 ? "the vocabulary has " : "the layer below gives ") + std::to_string(inputWidth));
    un.gates = un.cell->gateWidth(desc.hidden);
    un.stateSize = un.cell->stateSize();
    int col = 0;
    for (size_t j = 0; j < projs.size(); j++) {
      const Reader rp = ru.at(".projections[" + std::to_string(j) + "]");
      rnnlab::Projection p;
      p.gates = int(rp.integer(projs[j], "gates"));
      p.w = rp.integer(projs[j], "w");
      p.bih = rp.integer(projs[j], "bih");
      p.bhh = rp.integer(projs[j], "bhh");
      p.col = col;
      const int64_t width = p.gates * H;
      if (p.gates != gates[j] || !inRange(p.w, (un.input + H) * width) || !inRange(p.bih, width) || !inRange(p.bhh, width))
        throw JsError("desc: projection " + rp.text(projs[j], "name") + " of unit " + std::to_string(u) + " is inconsistent");
      col += int(width);
      un.proj.push_back(p);
    }
    desc.units.push_back(std::move(un));
  }
  return desc;
}

struct InferenceHandle;
// What an object's collection must tell V8 besides freeing it.
void collected(napi_env, Net*) {}
void collected(napi_env env, InferenceHandle* h);

/** A JS external owning `object`: deleted when the garbage collector collects the external. */
template <typename T>
napi_value owned(napi_env env, std::unique_ptr<T> object) {
  napi_value out;
  CHECK(napi_create_external(env, object.get(), [](napi_env e, void* p, void*) {
    collected(e, static_cast<T*>(p));
    delete static_cast<T*>(p);
  }, nullptr, &out));
  object.release();
  return out;
}

// createNet(desc) → external (see readDesc).
napi_value CreateNet(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args args(env, info, 1);
    return owned(env, std::make_unique<Net>(readDesc(args, 0)));
  });
}

// step(net, params, grads, x, y, batch, steps, stateIn | null, stateOut, masks | null, logits | null) → [loss, Σg²]
// y: each position's label (the next character, or under cloze its own).
napi_value Step(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args args(env, info, 11);
    Net* net = args.net(0);
    const rnnlab::NetDesc& d = net->desc();
    rnnlab::StepArgs a{};
    a.batch = args.integer(5);
    a.steps = args.integer(6);
    if (a.batch < 1 || a.steps < 1) throw JsError("batch and steps must be at least 1");
    const size_t n = size_t(a.batch) * a.steps;
    a.params = args.floats(1, size_t(d.paramCount), "params");
    a.grads = args.floats(2, size_t(d.paramCount), "grads");
    size_t nx = 0, ny = 0;
    a.x = args.typed<int32_t>(3, napi_int32_array, &nx, "x");
    a.y = args.typed<int32_t>(4, napi_int32_array, &ny, "y");
    if (nx != n || ny != n) throw JsError("x and y must hold batch × steps token ids");
    for (size_t i = 0; i < n; i++) {
      if (a.x[i] < 0 || a.x[i] >= d.vocab || a.y[i] < 0 || a.y[i] >= d.vocab) throw JsError("a token id is outside the vocabulary");
    }
    const size_t stateN = size_t(net->stateFloats(a.batch));
    a.stateIn = args.isNull(7) ? nullptr : args.floats(7, stateN, "stateIn");
    a.stateOut = args.floats(8, stateN, "stateOut");
    const size_t maskN = size_t(d.numLayers - 1) * n * d.outWidth;
    a.masks = args.isNull(9) ? nullptr : args.floats(9, maskN, "masks");
    a.logits = args.isNull(10) ? nullptr : args.floats(10, n * size_t(d.vocab), "logits");
    const rnnlab::StepResult r = net->step(a);
    napi_value out;
    CHECK(napi_create_array_with_length(env, 2, &out));
    CHECK(napi_set_element(env, out, 0, number(env, r.loss)));
    CHECK(napi_set_element(env, out, 1, number(env, r.normSq)));
    return out;
  });
}

// An optimizer update: `slots` more buffers of the parameters' length after params and grads, then numbers.
template <typename F>
napi_value Update(napi_env env, napi_callback_info info, size_t slots, size_t numbers, F&& apply) {
  return guarded(env, [&] {
    Args args(env, info, 2 + slots + numbers);
    size_t n = 0;
    float* buffers[4] = {args.typed<float>(0, napi_float32_array, &n, "params")};
    for (size_t i = 1; i < 2 + slots; i++) buffers[i] = args.floats(i, n, i == 1 ? "grads" : "an optimizer slot");
    float x[8] = {};
    for (size_t i = 0; i < numbers; i++) x[i] = float(args.number(2 + slots + i));
    apply(buffers, int64_t(n), x);
    return static_cast<napi_value>(nullptr);
  });
}

// sgd(params, grads, rate): θ ← θ − rate·g
napi_value Sgd(napi_env env, napi_callback_info info) {
  return Update(env, info, 0, 1, [](float** b, int64_t n, const float* x) { rnnlab::kernels().sgd(b[0], b[1], n, x[0]); });
}

// adam(params, grads, m, v, scale, beta1, beta2, 1 − beta1, 1 − beta2, √bc2, eps, lr/bc1)
napi_value Adam(napi_env env, napi_callback_info info) {
  return Update(env, info, 2, 8, [](float** b, int64_t n, const float* x) {
    rnnlab::kernels().adam(b[0], b[1], b[2], b[3], n, x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]);
  });
}

// setThreads(engine, blas): the engine's threads (0: auto, see net.cc), and OpenBLAS's own threads
// inside each call (1 unless comparing with OpenBLAS's threading: engine 1, blas 2). Returns the
// engine's capacity (its most threads).
napi_value SetThreads(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args args(env, info, 2);
    const int n = args.integer(0), blas = args.integer(1);
    if (n > 256 || blas < 1 || blas > 256) throw JsError("threads must be in [0, 256], blas threads in [1, 256]");
    openblas_set_num_threads(blas);
    return number(env, rnnlab::setThreads(n));
  });
}

// setInferenceThreads(n): the most threads one generation step uses (capped at Inference::kMembers and
// the machine's cores; the bits do not depend on it). Returns the value in force.
napi_value SetInferenceThreads(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args args(env, info, 1);
    const int n = args.integer(0);
    if (n < 1 || n > 256) throw JsError("inference threads must be in [1, 256]");
    return number(env, rnnlab::Inference::setMaxThreads(n));
  });
}

napi_value BlasInfo(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    napi_value out;
    CHECK(napi_create_object(env, &out));
    napi_value isAuto;
    CHECK(napi_get_boolean(env, rnnlab::autoThreads(), &isAuto));
    CHECK(napi_set_named_property(env, out, "threads", number(env, rnnlab::threadCapacity())));
    CHECK(napi_set_named_property(env, out, "auto", isAuto));
    CHECK(napi_set_named_property(env, out, "lastThreads", number(env, rnnlab::lastThreads())));
    CHECK(napi_set_named_property(env, out, "lastSchedule", string(env, rnnlab::lastSchedule())));
    CHECK(napi_set_named_property(env, out, "lastRuns", number(env, rnnlab::lastRuns())));
    CHECK(napi_set_named_property(env, out, "blasThreads", number(env, openblas_get_num_threads())));
    CHECK(napi_set_named_property(env, out, "core", string(env, openblas_get_corename())));
    CHECK(napi_set_named_property(env, out, "config", string(env, openblas_get_config())));
    CHECK(napi_set_named_property(env, out, "kernels", string(env, rnnlab::kernels().isa)));
    return out;
  });
}

// sgemmSeconds(m, n, k, repeats, threads): the machine's GEMM speed at a given shape, through the same
// library, with `threads` threads multiplying at once.
napi_value SgemmSeconds(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args args(env, info, 5);
    const int m = args.integer(0), n = args.integer(1), k = args.integer(2), reps = args.integer(3), threads = args.integer(4);
    if (m < 1 || n < 1 || k < 1 || reps < 1 || threads < 1) throw JsError("sizes, repeats and threads must be at least 1");
    return number(env, rnnlab::sgemmSeconds(m, n, k, reps, threads));
  });
}

// A model for generation, freed by freeInference (a model cache evicts it) or else by the garbage
// collector. V8 is told the bytes it holds, so that a heap with many dead ones is collected in time.
struct InferenceHandle {
  std::unique_ptr<rnnlab::Inference> model;
  int64_t reported = 0;
};

InferenceHandle& handle(const Args& args, size_t i) {
  void* p = nullptr;
  if (napi_get_value_external(args.env, args.v[i], &p) != napi_ok || !p) throw JsError("argument 0 must be a model from createInference");
  return *static_cast<InferenceHandle*>(p);
}

rnnlab::Inference& inference(const Args& args, size_t i) {
  InferenceHandle& h = handle(args, i);
  if (!h.model) throw JsError("this model has been freed");
  return *h.model;
}

void collected(napi_env env, InferenceHandle* h) {
  int64_t total = 0;
  if (h->reported != 0) napi_adjust_external_memory(env, -h->reported, &total);
}

/** Tells V8 how many bytes `h` holds now. */
void report(napi_env env, InferenceHandle& h) {
  const int64_t now = h.model ? h.model->bytes() : 0;
  int64_t total = 0;
  if (now != h.reported) CHECK(napi_adjust_external_memory(env, now - h.reported, &total));
  h.reported = now;
}

// createInference(desc) → external: a model with every parameter 0 (setInferenceParams fills them).
napi_value CreateInference(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args args(env, info, 1);
    rnnlab::NetDesc desc = readDesc(args, 0);
    // Generation steps the directions joined at every layer: a cloze model fills blanks on tfjs.
    if (desc.cloze) throw JsError("desc.objective: native inference has no cloze models");
    auto h = std::make_unique<InferenceHandle>(InferenceHandle{std::make_unique<rnnlab::Inference>(std::move(desc))});
    report(env, *h);
    return owned(env, std::move(h));
  });
}

// setInferenceParams(model, offset, values: Float32Array): copies values to parameters [offset, offset + length);
// returns the bytes the model holds.
napi_value SetInferenceParams(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args args(env, info, 3);
    rnnlab::Inference& model = inference(args, 0);
    const int64_t offset = args.integer(1);
    size_t n = 0;
    const float* values = args.typed<float>(2, napi_float32_array, &n, "values");
    if (offset + int64_t(n) > model.desc().paramCount) throw JsError("values reach past the model's parameters");
    model.setParams(offset, values, int64_t(n));
    return number(env, double(model.bytes()));
  });
}

// inferStep(model, x: Int32Array, state: Float32Array, logits: Float32Array) → bytes the model holds.
// The batch is x's length; state (read and written) and logits (written) must fit it.
napi_value InferStep(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args args(env, info, 4);
    rnnlab::Inference& model = inference(args, 0);
    const rnnlab::NetDesc& d = model.desc();
    size_t batch = 0;
    const int32_t* x = args.typed<int32_t>(1, napi_int32_array, &batch, "x");
    if (batch < 1 || batch > 1u << 20) throw JsError("x must hold one token id per row (1 to 2^20 rows)");
    for (size_t i = 0; i < batch; i++)
      if (x[i] < 0 || x[i] >= d.vocab) throw JsError("a token id is outside the vocabulary");
    float* state = args.floats(2, size_t(model.stateFloats(int(batch))), "state");
    float* logits = args.floats(3, batch * size_t(d.vocab), "logits");
    model.step(x, int(batch), state, logits);
    report(env, handle(args, 0));
    return number(env, double(model.bytes()));
  });
}

// freeInference(model): releases its memory now; stepping it afterwards throws.
napi_value FreeInference(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args args(env, info, 1);
    InferenceHandle& h = handle(args, 0);
    h.model.reset();
    report(env, h);
    return static_cast<napi_value>(nullptr);
  });
}

// capabilities() → { cells: string[], objectives: string[] }: what createNet accepts, so that a process
// can leave a run the engine cannot train on tfjs before it starts (src/index.ts: nativeUnsupported).
napi_value Capabilities(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    auto strings = [&](const std::vector<std::string>& items) {
      napi_value arr;
      CHECK(napi_create_array_with_length(env, items.size(), &arr));
      for (size_t i = 0; i < items.size(); i++) CHECK(napi_set_element(env, arr, uint32_t(i), string(env, items[i])));
      return arr;
    };
    napi_value out;
    CHECK(napi_create_object(env, &out));
    CHECK(napi_set_named_property(env, out, "cells", strings(rnnlab::cellNames())));
    CHECK(napi_set_named_property(env, out, "objectives", strings({"next", "cloze"})));
    return out;
  });
}

// simulatePolicy(threads, costs, repeatable): the thread policy (policy.h) driven by made-up costs, for
// tests: candidate i has threads[i] threads; costs[s·n + i] is candidate i's seconds per token at
// minibatch s. Returns, per minibatch, the candidates of its runs in order (the last one's results kept).
napi_value SimulatePolicy(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    Args args(env, info, 3);
    size_t n = 0, m = 0;
    const int32_t* threads = args.typed<int32_t>(0, napi_int32_array, &n, "threads");
    const double* costs = args.typed<double>(1, napi_float64_array, &m, "costs");
    bool repeatable = true;
    CHECK(napi_get_value_bool(env, args.v[2], &repeatable));
    if (n == 0 || m % n) throw JsError("costs must hold a cost per candidate per minibatch");
    std::vector<rnnlab::Schedule> candidates;
    for (size_t i = 0; i < n; i++) candidates.push_back({threads[i], false});
    rnnlab::ThreadPolicy policy;
    policy.reset(candidates);
    napi_value out;
    CHECK(napi_create_array_with_length(env, m / n, &out));
    for (size_t s = 0; s < m / n; s++) {
      const auto& runs = policy.plan(repeatable);
      std::vector<double> times;
      napi_value picks;
      CHECK(napi_create_array_with_length(env, runs.size(), &picks));
      for (size_t r = 0; r < runs.size(); r++) {
        times.push_back(costs[s * n + size_t(runs[r].pick)]);
        CHECK(napi_set_element(env, picks, uint32_t(r), number(env, runs[r].pick)));
      }
      policy.observe(times);
      CHECK(napi_set_element(env, out, uint32_t(s), picks));
    }
    return out;
  });
}

napi_value Init(napi_env env, napi_value exports) {
  openblas_set_num_threads(1);  // the engine's team parallelises; see team.h
  const napi_property_descriptor props[] = {
      {"createNet", nullptr, CreateNet, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"step", nullptr, Step, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"createInference", nullptr, CreateInference, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setInferenceParams", nullptr, SetInferenceParams, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"inferStep", nullptr, InferStep, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"freeInference", nullptr, FreeInference, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sgd", nullptr, Sgd, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"adam", nullptr, Adam, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setInferenceThreads", nullptr, SetInferenceThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"blasInfo", nullptr, BlasInfo, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"sgemmSeconds", nullptr, SgemmSeconds, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"capabilities", nullptr, Capabilities, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"simulatePolicy", nullptr, SimulatePolicy, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  if (napi_define_properties(env, exports, sizeof props / sizeof props[0], props) != napi_ok) return nullptr;
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
