/* sys_arch.h - the RTOS types lwIP's headers name; the RTOS provides them
 * (FreeRTOS on the ESP32-C3). Only what compiling the port needs. */
#ifndef MCD_LWIP_ARCH_SYS_ARCH_H
#define MCD_LWIP_ARCH_SYS_ARCH_H

typedef void *sys_sem_t;
typedef void *sys_mutex_t;
typedef void *sys_mbox_t;
typedef void *sys_thread_t;
#define SYS_MBOX_NULL ((sys_mbox_t)0)
#define SYS_SEM_NULL ((sys_sem_t)0)

#endif
