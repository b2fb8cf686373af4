-- Written by hand (Prisma's schema engine has no offline MySQL support), as
-- `prisma migrate diff --from-empty --to-schema ../schema.prisma --script` writes it.

-- CreateTable
CREATE TABLE `accounts` (
    `id` INTEGER NOT NULL AUTO_INCREMENT,
    `role` VARCHAR(191) NOT NULL,
    `status` ENUM('active', 'inactive') NOT NULL DEFAULT 'active',
    `plan_name` VARCHAR(191) NULL,
    `views` INTEGER NOT NULL DEFAULT 0,
    `amount` DECIMAL(65, 30) NOT NULL DEFAULT 0,
    `score` DOUBLE NOT NULL DEFAULT 0,
    `user_ref` VARCHAR(191) NOT NULL,
    `created_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),

    INDEX `accounts_created_at_idx`(`created_at`),
    PRIMARY KEY (`id`)
) DEFAULT CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
