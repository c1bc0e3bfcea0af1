# Installation layout and the Debian package (cpack -G DEB).
include(GNUInstallDirs)

configure_file(${PROJECT_SOURCE_DIR}/packaging/systemd/lochat-server.service.in
               ${PROJECT_BINARY_DIR}/lochat-server.service @ONLY)

install(FILES packaging/man/lochat-server.1 packaging/man/lochat.1 packaging/man/lochat-bench.1
        DESTINATION ${CMAKE_INSTALL_MANDIR}/man1)
install(FILES ${PROJECT_BINARY_DIR}/lochat-server.service DESTINATION lib/systemd/system)
install(FILES packaging/server.toml.example docs/PROTOCOL.md docs/RELIABILITY.md docs/SECURITY.md README.md
        DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(CPACK_PACKAGE_NAME "lochat")
set(CPACK_PACKAGE_VENDOR "The LoChat authors")
set(CPACK_PACKAGE_CONTACT "LoChat maintainers <maintainers@lochat.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "LAN chat server and client")
set(CPACK_PACKAGE_DESCRIPTION
    "LoChat is a chat for a local network: lochat-server relays lines between lochat, nc and telnet clients.")
set(CPACK_RESOURCE_FILE_LICENSE "${PROJECT_SOURCE_DIR}/LICENSE")
set(CPACK_PACKAGING_INSTALL_PREFIX "/usr")
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION "net")
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_GENERATOR "DEB")
include(CPack)
