#include <nats/nats.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

// The few libnats calls smokeflow makes, each with its C structs filled and freed here, so the
// Swift side passes plain values and never holds a libnats struct across a call.

/// Connects to one of `urls` with reconnects forever: a connection that is down at the start
/// or later keeps trying, and publishes wait in libnats' reconnect buffer meanwhile. The
/// servers go in as an array: libnats 3.4's comma-separated `natsOptions_SetURL` list is never
/// connected ("No server available", or a retry forever).
static inline natsStatus smokeflow_nats_connect(natsConnection **connection, jsCtx **jetStream, const char **urls, int urlsCount,
                                                const char *name, const char *domain, int64_t waitMilliseconds) {
    natsOptions *options = NULL;
    natsStatus status = natsOptions_Create(&options);
    if (status == NATS_OK) status = natsOptions_SetServers(options, urls, urlsCount);
    if (status == NATS_OK) status = natsOptions_SetName(options, name);
    if (status == NATS_OK) status = natsOptions_SetMaxReconnect(options, -1);
    if (status == NATS_OK) status = natsOptions_SetReconnectWait(options, 250);
    if (status == NATS_OK) status = natsOptions_SetTimeout(options, 2000);
    if (status == NATS_OK) status = natsOptions_SetPingInterval(options, 5000);
    if (status == NATS_OK) status = natsOptions_SetMaxPingsOut(options, 3);
    if (status == NATS_OK) status = natsOptions_SetRetryOnFailedConnect(options, true, NULL, NULL);
    if (status == NATS_OK) {
        status = natsConnection_Connect(connection, options);
        if (status == NATS_NOT_YET_CONNECTED) status = NATS_OK;
    }
    natsOptions_Destroy(options);
    if (status != NATS_OK) return status;
    jsOptions jsOptions;
    jsOptions_Init(&jsOptions);
    jsOptions.Wait = waitMilliseconds;
    if (domain != NULL && domain[0] != 0) jsOptions.Domain = domain;
    status = natsConnection_JetStream(jetStream, *connection, &jsOptions);
    if (status != NATS_OK) {
        natsConnection_Destroy(*connection);
        *connection = NULL;
    }
    return status;
}

static inline void smokeflow_nats_close(natsConnection *connection, jsCtx *jetStream) {
    if (jetStream != NULL) jsCtx_Destroy(jetStream);
    if (connection != NULL) {
        natsConnection_Close(connection);
        natsConnection_Destroy(connection);
    }
}

/// Publishes one message and waits for JetStream's acknowledgement (stored, replicated as the
/// stream says). `headerNames`/`headerValues`: `headerCount` extra headers.
static inline natsStatus smokeflow_js_publish(jsCtx *jetStream, const char *subject, const void *data, int length,
                                              const char *messageID, const char **headerNames, const char **headerValues,
                                              int headerCount, int64_t waitMilliseconds, uint64_t *sequence,
                                              bool *duplicate, jsErrCode *errorCode) {
    natsMsg *message = NULL;
    natsStatus status = natsMsg_Create(&message, subject, NULL, (const char *)data, length);
    for (int index = 0; status == NATS_OK && index < headerCount; index++) {
        status = natsMsgHeader_Set(message, headerNames[index], headerValues[index]);
    }
    if (status == NATS_OK) {
        jsPubOptions options;
        jsPubOptions_Init(&options);
        options.MsgId = messageID;
        options.MaxWait = waitMilliseconds;
        jsPubAck *acknowledgement = NULL;
        status = js_PublishMsg(&acknowledgement, jetStream, message, &options, errorCode);
        if (status == NATS_OK && acknowledgement != NULL) {
            *sequence = acknowledgement->Sequence;
            *duplicate = acknowledgement->Duplicate;
        }
        jsPubAck_Destroy(acknowledgement);
    }
    natsMsg_Destroy(message);
    return status;
}

/// Creates the stream, or updates it when it exists with other settings. `sourceDomains`:
/// each a site's JetStream domain whose stream of the same `sourceStream` name this one sources
/// (the central aggregate of edge sites behind leaf nodes).
static inline natsStatus smokeflow_js_ensure_stream(jsCtx *jetStream, const char *name, const char **subjects, int subjectsLength,
                                                    bool workQueue, bool memory, int64_t replicas, int64_t maxAge,
                                                    int64_t maxBytes, int64_t duplicates, const char *sourceStream,
                                                    const char **sourceDomains, int sourceDomainsLength, jsErrCode *errorCode) {
    jsStreamConfig config;
    jsStreamConfig_Init(&config);
    config.Name = name;
    config.Subjects = subjectsLength > 0 ? subjects : NULL;
    config.SubjectsLen = subjectsLength;
    config.Retention = workQueue ? js_WorkQueuePolicy : js_LimitsPolicy;
    config.Storage = memory ? js_MemoryStorage : js_FileStorage;
    config.Replicas = replicas;
    config.MaxAge = maxAge;
    config.MaxBytes = maxBytes > 0 ? maxBytes : -1;
    config.Duplicates = duplicates;
    jsStreamSource *sources = NULL;
    jsExternalStream *externals = NULL;
    jsStreamSource **sourceList = NULL;
    char *prefixes = NULL;
    if (sourceDomainsLength > 0) {
        sources = calloc((size_t)sourceDomainsLength, sizeof(jsStreamSource));
        externals = calloc((size_t)sourceDomainsLength, sizeof(jsExternalStream));
        sourceList = calloc((size_t)sourceDomainsLength, sizeof(jsStreamSource *));
        prefixes = calloc((size_t)sourceDomainsLength, 256);
        if (sources == NULL || externals == NULL || sourceList == NULL || prefixes == NULL) {
            free(sources); free(externals); free(sourceList); free(prefixes);
            return NATS_NO_MEMORY;
        }
        for (int index = 0; index < sourceDomainsLength; index++) {
            jsStreamSource_Init(&sources[index]);
            jsExternalStream_Init(&externals[index]);
            snprintf(prefixes + 256 * index, 256, "$JS.%s.API", sourceDomains[index]);
            externals[index].APIPrefix = prefixes + 256 * index;
            // libnats 3.4 writes DeliverPrefix into the request unchecked (a NULL crashes it);
            // across JetStream domains none is needed.
            externals[index].DeliverPrefix = "";
            sources[index].Name = sourceStream;
            sources[index].External = &externals[index];
            sourceList[index] = &sources[index];
        }
        config.Sources = sourceList;
        config.SourcesLen = sourceDomainsLength;
    }
    jsStreamInfo *info = NULL;
    natsStatus status = js_AddStream(&info, jetStream, &config, NULL, errorCode);
    if (status != NATS_OK && *errorCode == JSStreamNameExistErr) {
        *errorCode = 0;
        status = js_UpdateStream(&info, jetStream, &config, NULL, errorCode);
    }
    jsStreamInfo_Destroy(info);
    free(sources); free(externals); free(sourceList); free(prefixes);
    return status;
}

/// The number of messages and bytes a stream holds now.
static inline natsStatus smokeflow_js_stream_state(jsCtx *jetStream, const char *name, uint64_t *messages, uint64_t *bytes,
                                                   jsErrCode *errorCode) {
    jsStreamInfo *info = NULL;
    natsStatus status = js_GetStreamInfo(&info, jetStream, name, NULL, errorCode);
    if (status == NATS_OK && info != NULL) {
        *messages = info->State.Msgs;
        *bytes = info->State.Bytes;
    }
    jsStreamInfo_Destroy(info);
    return status;
}

/// A durable pull consumer on `stream` (created, or bound when it exists), explicit acks.
static inline natsStatus smokeflow_js_pull_subscribe(natsSubscription **subscription, jsCtx *jetStream, const char *stream,
                                                     const char *subject, const char *durable, int64_t ackWait,
                                                     int64_t maxAckPending, int64_t maxDeliver, jsErrCode *errorCode) {
    jsSubOptions options;
    jsSubOptions_Init(&options);
    options.Stream = stream;
    options.Config.AckPolicy = js_AckExplicit;
    options.Config.AckWait = ackWait;
    options.Config.MaxAckPending = maxAckPending;
    options.Config.MaxDeliver = maxDeliver;
    return js_PullSubscribe(subscription, jetStream, subject, durable, NULL, &options, errorCode);
}

static inline void smokeflow_nats_unsubscribe(natsSubscription *subscription) {
    natsSubscription_Destroy(subscription);
}

/// Up to `batch` messages, waiting at most `timeoutMilliseconds` for the first;
/// NATS_TIMEOUT when none came. The caller owns the messages (`natsMsg_Destroy` each).
static inline natsStatus smokeflow_js_fetch(natsSubscription *subscription, int batch, int64_t timeoutMilliseconds,
                                            natsMsg **messages, int *count, jsErrCode *errorCode) {
    natsMsgList list = {0};
    natsStatus status = natsSubscription_Fetch(&list, subscription, batch, timeoutMilliseconds, errorCode);
    *count = 0;
    if (status == NATS_OK) {
        for (int index = 0; index < list.Count && index < batch; index++) {
            messages[index] = list.Msgs[index];
            list.Msgs[index] = NULL;
            *count += 1;
        }
    }
    natsMsgList_Destroy(&list);
    return status;
}

/// The message's stream sequence and how often it was delivered.
static inline natsStatus smokeflow_js_message_position(natsMsg *message, uint64_t *streamSequence, uint64_t *delivered) {
    jsMsgMetaData *meta = NULL;
    natsStatus status = natsMsg_GetMetaData(&meta, message);
    if (status == NATS_OK && meta != NULL) {
        *streamSequence = meta->Sequence.Stream;
        *delivered = meta->NumDelivered;
    }
    jsMsgMetaData_Destroy(meta);
    return status;
}
