# models.mk - NM_MODELS="epoll reactor ...": build only the models named, so
# that firmware pays for nothing else. Each model is known by the function its
# file in lib/models/ defines (int nm_model_<name>(nm_server *)), so a new
# model file is selectable without touching this file. A file none of whose
# models is named is not compiled at all; models left out of a file that is
# still needed leave the registry through -DNM_WITHOUT_<name>.
NM_MODEL_DEF = s/^\(extern "C" \)\{0,1\}int nm_model_\([A-Za-z0-9_]*\) *(.*/\2/p
NM_MODEL_FILES := $(wildcard lib/models/*.cpp)
NM_ALL_MODELS := $(sort $(shell sed -n '$(NM_MODEL_DEF)' $(NM_MODEL_FILES) /dev/null))
nm_models_of = $(shell sed -n '$(NM_MODEL_DEF)' $(1))

ifneq ($(strip $(NM_MODELS)),)
NM_MODELS_UNKNOWN := $(filter-out $(NM_ALL_MODELS),$(NM_MODELS))
ifneq ($(NM_MODELS_UNKNOWN),)
$(error NM_MODELS: no model named '$(NM_MODELS_UNKNOWN)'; there are: $(NM_ALL_MODELS))
endif
NM_MODELS_OUT := $(filter-out $(NM_MODELS),$(NM_ALL_MODELS))
NM_MODEL_FILES_OUT := $(foreach f,$(NM_MODEL_FILES),\
    $(if $(filter $(NM_MODELS),$(call nm_models_of,$(f))),,$(if $(call nm_models_of,$(f)),$(f))))
NM_CXXFLAGS += $(NM_MODELS_OUT:%=-DNM_WITHOUT_%)
LIB_SRCS := $(filter-out $(NM_MODEL_FILES_OUT),$(LIB_SRCS))
endif
