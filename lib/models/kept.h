/* kept.h - which models of models.def this build keeps, for the files
 * that expand the list (models.cpp: the registry; server.cpp: the flags
 * any kept model has).
 *
 * NM_KEPT(NM_WITHOUT_<name>) is NM_ENTRY, or NM_LEFT_OUT when
 * -DNM_WITHOUT_<name> made it 1: a #ifndef cannot sit inside a macro, so
 * the defined macro's value picks the second of a list instead. Each file
 * defines NM_ENTRY and NM_LEFT_OUT (name, flags, port) as it needs. */
#ifndef NM_MODELS_KEPT_H
#define NM_MODELS_KEPT_H

#define NM_OUT_1 ~, NM_LEFT_OUT
#define NM_SECOND(first, second, ...) second
#define NM_SECOND_OF(...) NM_SECOND(__VA_ARGS__)
#define NM_PICK(without) NM_SECOND_OF(NM_OUT_##without, NM_ENTRY, ~)
#define NM_KEPT(without) NM_PICK(without)

#endif
