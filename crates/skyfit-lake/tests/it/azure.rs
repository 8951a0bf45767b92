//! The Azure path, end to end against Azurite started by the test.

use skyfit_core::Secret;
use skyfit_lake::{AzureCredentials, AzureOptions, LakeStore};

use crate::common::{entries_key, round_trip};
use skyfit_test_utils::azurite::{ACCOUNT, Azurite, KEY};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn round_trip_on_azurite() {
    let az = Azurite::start();
    az.create_container("datalake");
    let opts = AzureOptions::default()
        .with_emulator(az.endpoint())
        .with_account(ACCOUNT)
        .with_credentials(AzureCredentials::AccessKey(Secret::new(KEY)));
    let lake = LakeStore::builder("az://datalake/tests/lake-a")
        .with_azure(opts.clone())
        .build()
        .unwrap();
    assert!(!format!("{lake:?}").contains(KEY));
    round_trip(&lake).await;

    // The prefix isolates lakes sharing the container.
    let other =
        LakeStore::builder("abfss://datalake@devstoreaccount1.dfs.core.windows.net/tests/lake-b")
            .with_azure(opts)
            .build()
            .unwrap();
    assert!(other.list_runs(&entries_key()).await.unwrap().is_empty());
    assert_eq!(lake.list_runs(&entries_key()).await.unwrap().len(), 1);
}
