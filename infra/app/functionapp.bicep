// The ComplianceWatch Function App on Flex Consumption (.NET isolated, 10.0), identity-based connections only.
param name string
param planName string
param location string
param tags object

@description('Name reported by the `local` reachability vantage point.')
param region string

param identityId string
param identityClientId string
param storageAccountName string

@description('URL of the blob container holding the deployment package.')
param deploymentContainer string

param serviceBusNamespace string

@secure()
param appInsightsConnectionString string

param keyVaultUri string

@description('Whether this app runs the relay and dispatcher (the primary) or only reachability probes.')
param publishes bool

@description('Subnet for VNet integration (reaching the browser of rendered sources); empty for none.')
param subnetId string = ''

@description('Remote browser for render: true sources (ComplianceWatch__Browser__Endpoint); empty for none.')
param browserEndpoint string = ''

@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 100

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: { '${identityId}': {} }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    keyVaultReferenceIdentity: identityId
    virtualNetworkSubnetId: empty(subnetId) ? null : subnetId
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainer
          authentication: { type: 'UserAssignedIdentity', userAssignedIdentityResourceId: identityId }
        }
      }
      scaleAndConcurrency: { maximumInstanceCount: maximumInstanceCount, instanceMemoryMB: 2048 }
      runtime: { name: 'dotnet-isolated', version: '10.0' }
    }
  }

  resource settings 'config' = {
    name: 'appsettings'
    properties: {
      AzureWebJobsStorage__accountName: storageAccountName
      AzureWebJobsStorage__credential: 'managedidentity'
      AzureWebJobsStorage__clientId: identityClientId
      ServiceBusConnection__fullyQualifiedNamespace: serviceBusNamespace
      ServiceBusConnection__credential: 'managedidentity'
      ServiceBusConnection__clientId: identityClientId
      APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
      APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
      AZURE_CLIENT_ID: identityClientId
      ComplianceWatch__Region: region
      // the queue trigger and the check-job sender both use AzureWebJobsStorage: one account by construction
      AzureWebJobsStorage__queueServiceUri: 'https://${storageAccountName}.queue.${environment().suffixes.storage}'
      ComplianceWatch__Storage__TableEndpoint: 'https://${storageAccountName}.table.${environment().suffixes.storage}'
      // one check queue per region, so a probe region checks its own reachability jobs
      CHECK_QUEUE: 'check-jobs-${toLower(region)}'
      ComplianceWatch__FanOut__Threshold: '50'
      ComplianceWatch__FanOut__MaxSourcesPerRequest: '10'
      ComplianceWatch__ServiceBus__Topic: 'changes'
      ComplianceWatch__ServiceBus__Subscription: 'dispatcher'
      ComplianceWatch__Dispatcher__Enabled: string(publishes)
      // sink secrets: set them in Key Vault, the app reads them through these references
      SLACK_WEBHOOK_URL: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/slack-webhook-url)'
      TEAMS_WEBHOOK_URL: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/teams-webhook-url)'
      GITHUB_TOKEN: '@Microsoft.KeyVault(SecretUri=${keyVaultUri}secrets/github-token)'
      TERMS_SCHEDULE: '0 0 */6 * * *'
      REACHABILITY_SCHEDULE: '0 */15 * * * *'
      REGULATORY_SCHEDULE: '0 0 * * * *'
      RELAY_SCHEDULE: '0 */1 * * * *'
      DISPATCH_SCHEDULE: '30 */1 * * * *'
      // a probe region only measures reachability: terms and regulatory sources are checked once, by the primary,
      // which also relays the shared outbox
      'AzureWebJobs.CheckTermsSources.Disabled': string(!publishes)
      'AzureWebJobs.CheckRegulatorySources.Disabled': string(!publishes)
      'AzureWebJobs.RelayOutbox.Disabled': string(!publishes)
      // render: true sources are rendered by the Playwright server (browser.bicep, parameter deployBrowser); empty
      // without it, and those sources then report browser-unavailable
      ComplianceWatch__Browser__Endpoint: browserEndpoint
    }
  }
}

output name string = app.name
output url string = 'https://${app.properties.defaultHostName}'
