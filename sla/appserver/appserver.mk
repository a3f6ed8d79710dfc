# SPDX-License-Identifier: GPL-2.0
#
# The application server (included by sla/Makefile):
#   $(O)/sla-appserver   the REST API, the web page and its JSON, on
#                        libmicrohttpd + json-c + libmailbox
#   $(O)/sla-top         the terminal view: the server's JSON, over libcurl
#   $(O)/tests/slajson_test, $(O)/tests/sla-app-stub   its tests

AS_TOP    := $(abspath ..)
AS_PKGS   := libmicrohttpd json-c
AS_CFLAGS := -I$(AS_TOP)/lib -I$(AS_TOP)/include/uapi -Iappserver -pthread
AS_MBLIBS := -L$(AS_TOP)/lib -lmailbox -pthread
AS_OBJS   := $(O)/appserver/appserver.o $(O)/appserver/calls.o \
	     $(O)/appserver/state.o $(O)/appserver/slajson.o \
	     $(O)/appserver/page.o $(O)/common/mbnames.o $(O)/common/slacfg.o

all: $(O)/sla-appserver $(O)/sla-top $(O)/tests/sla-app-stub
check: $(O)/tests/slajson_test

$(O)/appserver/%.o: appserver/%.c | deps
	$(call msg,CC,$@)
	$(Q)mkdir -p $(dir $@)
	$(Q)$(CC) $(CFLAGS) $(AS_CFLAGS) $(call pc,--cflags,$(AS_PKGS) libcurl) -c -o $@ $<

# The page is in the program (.incbin): it is served from memory.
$(O)/appserver/page.o: appserver/page.html
$(O)/appserver/page.o: CFLAGS += -DPAGE_FILE='"$(abspath appserver/page.html)"'

as-libmailbox:
	$(Q)$(MAKE) -s -C $(AS_TOP)/lib

$(O)/sla-appserver: $(AS_OBJS) $(O)/libslaconf.a | as-libmailbox
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $(AS_OBJS) $(AS_MBLIBS) $(CONF_LIBS) $(call pc,--libs,$(AS_PKGS)) -lm

$(O)/sla-top: $(O)/appserver/top.o
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(call pc,--libs,libcurl json-c) -lm

$(O)/tests/slajson_test: $(O)/tests/slajson_test.o $(O)/appserver/slajson.o
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(call pc,--libs,json-c) -lm

$(O)/tests/slajson_test.o: CFLAGS += -Iappserver $(call pc,--cflags,json-c)

$(O)/tests/sla-app-stub: $(O)/tests/app_stub.o $(O)/common/mbnames.o | as-libmailbox
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(AS_MBLIBS) -lm

$(O)/tests/app_stub.o: CFLAGS += $(AS_CFLAGS)

.PHONY: as-libmailbox

# sla-appserver in a VM against its stand-in, the REST API from the host,
# then the page in Chromium (boots a VM: run `make` at the top first).
APP_KERNEL ?= 6.12
check-appserver: all
	$(Q)tests/appserver_test.sh $(APP_KERNEL)

.PHONY: check-appserver
