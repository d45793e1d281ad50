/* Compiled against bridge/include/devc_bridge.h by tests/abi.rs: every export
 * is looked up in the implementation under test and called through the
 * header's own prototype (a header that does not parse, or an export that is
 * missing, fails the test). Prints one envelope per line. */
#include "devc_bridge.h"

#include <dlfcn.h>
#include <stdio.h>

#define BIND(name)                                                      \
    __typeof__(name) *p_##name = (__typeof__(name) *)dlsym(lib, #name); \
    if (!p_##name) {                                                    \
        fprintf(stderr, "missing export %s\n", #name);                  \
        return 2;                                                       \
    }

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: header_check LIBRARY\n");
        return 2;
    }
    void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!lib) {
        fprintf(stderr, "%s\n", dlerror());
        return 2;
    }
    BIND(devc_bridge_abi_version)
    BIND(devc_bridge_info)
    BIND(devc_bridge_free)
    BIND(devc_bridge_cancel_new)
    BIND(devc_bridge_cancel_fire)
    BIND(devc_bridge_cancel_free)
    BIND(devc_bridge_ping)
    BIND(devc_bridge_container_inspect)
    BIND(devc_bridge_container_list)
    BIND(devc_bridge_container_create)
    BIND(devc_bridge_container_start)
    BIND(devc_bridge_container_stop)
    BIND(devc_bridge_container_delete)
    BIND(devc_bridge_image_inspect)
    BIND(devc_bridge_image_pull)
    BIND(devc_bridge_image_build)
    BIND(devc_bridge_builder_probe)
    BIND(devc_bridge_exec_start)
    BIND(devc_bridge_exec_wait)
    BIND(devc_bridge_exec_signal)
    BIND(devc_bridge_exec_resize)
    BIND(devc_bridge_exec_release)
    BIND(devc_bridge_logs_open)
    BIND(devc_bridge_volume_create)
    BIND(devc_bridge_volume_remove)
    BIND(devc_bridge_network_create)
    BIND(devc_bridge_network_remove)

    if (p_devc_bridge_abi_version() != DEVC_BRIDGE_ABI_VERSION) {
        fprintf(stderr, "ABI version %u, header %u\n", p_devc_bridge_abi_version(), DEVC_BRIDGE_ABI_VERSION);
        return 3;
    }
    char *s = p_devc_bridge_info();
    printf("%s\n", s);
    p_devc_bridge_free(s);

    /* A fired token: the call returns CANCELLED without contacting anything. */
    devc_bridge_cancel *token = p_devc_bridge_cancel_new();
    p_devc_bridge_cancel_fire(token);
    s = p_devc_bridge_ping(1000, token);
    printf("%s\n", s);
    p_devc_bridge_free(s);
    s = p_devc_bridge_exec_wait(1, 0, token);
    printf("%s\n", s);
    p_devc_bridge_free(s);
    p_devc_bridge_cancel_free(token);

    /* NULL is "{}", which lacks the required id. */
    s = p_devc_bridge_container_inspect(NULL, 1000, NULL);
    printf("%s\n", s);
    p_devc_bridge_free(s);

    p_devc_bridge_exec_release(123456789);
    p_devc_bridge_free(NULL);
    return 0;
}
