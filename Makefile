# A thin layer over the CMake presets, so a fresh machine needs one command each:
#   make run   installs what is missing, builds, starts lochat-server --port 4444
#   make test  installs what is missing, builds and runs the whole suite:
#              default, asan and tsan presets, then the fuzzers (about a minute)
PORT ?= 4444
# A fresh build tree gets Ninja: it compiles a library's sources while the
# libraries it links are still being built, where Make waits for them (the
# web part alone is a minute of one core). A tree already configured keeps
# its generator; the presets name none, so CMAKE_GENERATOR decides.
export CMAKE_GENERATOR ?= Ninja
PRESETS := default asan tsan fuzz

.PHONY: run test deps build $(addprefix test-,$(PRESETS)) clean

run: build
	./build/default/apps/lochat-server --port $(PORT)

test: $(addprefix test-,$(PRESETS))

deps:
	./scripts/install-deps.sh

build: deps
	cmake --preset default
	cmake --build --preset default

$(addprefix test-,$(PRESETS)): test-%: deps
	cmake --preset $*
	cmake --build --preset $*
	ctest --preset $*

clean:
	rm -rf build
