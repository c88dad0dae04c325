# models.mk - NM_MODELS="epoll reactor ...": build only the models named, so
# that firmware pays for nothing else. The models and the file each lives in
# are read from lib/models/models.def (its NM_MODEL(name, file, ...) lines).
# A file none of whose models is named is not compiled at all; models left
# out of a file that is still needed leave the registry through
# -DNM_WITHOUT_<name>.
NM_MODEL_LIST := lib/models/models.def
# name:file, one word per model
NM_MODEL_ROW = s/^NM_MODEL( *\([A-Za-z0-9_]*\) *, *\([A-Za-z0-9_]*\) *,.*/\1:\2/p
NM_MODEL_ROWS := $(shell sed -n '$(NM_MODEL_ROW)' $(NM_MODEL_LIST))
nm_row_name = $(firstword $(subst :, ,$(1)))
nm_row_file = lib/models/$(lastword $(subst :, ,$(1))).cpp
NM_ALL_MODELS := $(sort $(foreach r,$(NM_MODEL_ROWS),$(call nm_row_name,$(r))))

ifneq ($(strip $(NM_MODELS)),)
NM_MODELS_UNKNOWN := $(filter-out $(NM_ALL_MODELS),$(NM_MODELS))
ifneq ($(NM_MODELS_UNKNOWN),)
$(error NM_MODELS: no model named '$(NM_MODELS_UNKNOWN)'; there are: $(NM_ALL_MODELS))
endif
NM_MODELS_OUT := $(filter-out $(NM_MODELS),$(NM_ALL_MODELS))
NM_MODEL_FILES_IN := $(foreach r,$(NM_MODEL_ROWS),$(if $(filter $(NM_MODELS),$(call nm_row_name,$(r))),$(call nm_row_file,$(r))))
NM_MODEL_FILES_OUT := $(filter-out $(NM_MODEL_FILES_IN),$(foreach r,$(NM_MODEL_ROWS),$(call nm_row_file,$(r))))
NM_CXXFLAGS += $(NM_MODELS_OUT:%=-DNM_WITHOUT_%)
LIB_SRCS := $(filter-out $(NM_MODEL_FILES_OUT),$(LIB_SRCS))
# The poll and select ports, when no model named runs on them or takes
# --poller (a port of 0 in models.def): ports/ports.cpp leaves them out.
NM_CHOOSER_ROW = s/^NM_MODEL( *\([A-Za-z0-9_]*\) *,.*NM_MODEL_USES_PORT[^,]*, *0 *).*/\1/p
NM_CHOOSERS := $(shell sed -n '$(NM_CHOOSER_ROW)' $(NM_MODEL_LIST))
ifeq ($(filter $(NM_CHOOSERS),$(NM_MODELS)),)
NM_CXXFLAGS += $(addprefix -DNM_WITHOUT_PORT_,$(filter-out $(NM_MODELS),poll select))
endif
endif
