/* models.cpp - the registry: every model of lib/models/models.def compiled
 * into this library. A model is left out at build time with
 * -DNM_WITHOUT_<name> (lib/models.mk passes it for each model NM_MODELS
 * does not name). */
#include "loop/server.h"

#define NM_MODEL(name, file, flags, port) int nm_model_##name(nm_server *s);
#include "models/models.def"
#undef NM_MODEL

#include "models/kept.h"
#define NM_ENTRY(name, flags, port) { #name, nm_model_##name, flags, port },
#define NM_LEFT_OUT(name, flags, port)

extern const nm_model nm_models[] = {
#define NM_MODEL(name, file, flags, port) NM_KEPT(NM_WITHOUT_##name)(name, flags, port)
#include "models/models.def"
#undef NM_MODEL
};

extern const int nm_models_count = (int)(sizeof(nm_models) / sizeof(nm_models[0]));
